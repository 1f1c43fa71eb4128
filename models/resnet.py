"""The book's ResNet-18 (D2L "Residual Networks (ResNet) and ResNeXt"), with every channel count written out.

The book builds it from lazy layers and trains it on Fashion-MNIST resized to 96x96 (1 input channel,
batch 128); here each layer is given its input channels, so the same network needs no sample input.
"""
from minigrad import nn
from minigrad.nn import functional as F


class Residual(nn.Module):
    """Two 3x3 convolutions with BatchNorm, plus the input: itself, or through a 1x1 convolution (with the
    stride) where the channels or the size change."""

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def b1(in_channels=1):
    """The stem ResNet shares with GoogLeNet and DenseNet: a 7x7 convolution of stride 2, BatchNorm, ReLU and a
    3x3 max-pool of stride 2: 96x96 becomes 24x24 with 64 channels."""
    return nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(64),
                         nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


def resnet_block(in_channels, num_channels, num_residuals, first_block=False):
    """``num_residuals`` Residual blocks; all but the first stage halve the size and change the channels first."""
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blocks.append(Residual(in_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return nn.Sequential(*blocks)


def resnet18(num_classes=10, in_channels=1):
    """ResNet-18: the stem, four stages of two Residual blocks (64, 128, 256, 512 channels), global average
    pooling and a Linear layer; six children, as the book's ``layer_summary`` prints them."""
    return nn.Sequential(
        b1(in_channels),
        resnet_block(64, 64, 2, first_block=True), resnet_block(64, 128, 2),
        resnet_block(128, 256, 2), resnet_block(256, 512, 2),
        nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes)))
