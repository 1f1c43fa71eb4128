"""The book's DenseNet (D2L "Densely Connected Networks (DenseNet)"), with every channel count written out.

Four dense blocks of four convolution blocks (growth rate 32), with transition blocks halving the
channels and the size between them; trained in the book on Fashion-MNIST resized to 96x96, batch 128.
"""
import minigrad
from minigrad import nn
from models.resnet import b1


def conv_block(in_channels, num_channels):
    """BatchNorm, ReLU and a 3x3 convolution (the pre-activation order)."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    """``num_convs`` conv blocks, each one's output joined to its input along the channels: the block adds
    ``num_convs * num_channels`` channels (``out_channels``)."""

    def __init__(self, num_convs, in_channels, num_channels):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(in_channels + i * num_channels, num_channels)
                                   for i in range(num_convs)])
        self.out_channels = in_channels + num_convs * num_channels

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = minigrad.cat((X, Y), dim=1)
        return X


def transition_block(in_channels, num_channels):
    """BatchNorm, ReLU, a 1x1 convolution to ``num_channels`` and a 2x2 average pool of stride 2."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, num_channels, kernel_size=1), nn.AvgPool2d(kernel_size=2, stride=2))


def densenet(num_channels=64, growth_rate=32, arch=(4, 4, 4, 4), num_classes=10, in_channels=1):
    """The stem, dense blocks (``arch``: conv blocks per dense block) with a channel-halving transition block
    between two of them, then BatchNorm, ReLU, global average pooling and a Linear layer."""
    layers = [b1(in_channels)]
    for i, num_convs in enumerate(arch):
        layers.append(DenseBlock(num_convs, num_channels, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(arch) - 1:
            layers.append(transition_block(num_channels, num_channels // 2))
            num_channels //= 2
    layers.append(nn.Sequential(nn.BatchNorm2d(num_channels), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
                                nn.Flatten(), nn.Linear(num_channels, num_classes)))
    return nn.Sequential(*layers)
