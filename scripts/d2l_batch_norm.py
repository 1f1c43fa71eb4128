#!/usr/bin/env python
"""The D2L chapter "Batch Normalization" (批量归一化), its code cells verbatim, run on minigrad.

Only the three import lines differ from the chapter (``import minigrad as torch``,
``from minigrad import nn``, ``from minigrad import d2l``). The cells below, between ``# %%``
lines, run as in a notebook: a cell's last expression, when not None, is displayed.

    MINIGRAD_DATA=/path/to/fashion-mnist python scripts/d2l_batch_norm.py   

prints the layer shape table, trains the LeNet with the from-scratch BatchNorm and then the
concise one (nn.BatchNorm2d/1d), 10 epochs each at lr 1.0, batch 256, with ``d2l.train_ch6``
(curves in runs/d2l/train_ch6_1.png and _2.png), and shows the first BatchNorm layer's gamma
and beta. ``MINIGRAD_D2L_LIMIT=N,M`` trains on the first N training examples and tests on the
first M test examples, for a quick run (minigrad/d2l.py).
"""
if __name__ == "__main__":
    import sys
    from pathlib import Path
    if sys.argv[1:]:  # the chapter takes no arguments: --help (or anything else) shows this text
        print(__doc__.strip())
        sys.exit(0 if sys.argv[1:] in (["-h"], ["--help"]) else f"error: {Path(__file__).name} takes no arguments, got {' '.join(sys.argv[1:])}")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # minigrad from this checkout
    from minigrad.d2l import run_notebook
    sys.exit(run_notebook(__file__))

# %%
import minigrad as torch
from minigrad import nn
from minigrad import d2l

# 批量归一化从0开始实现,（输入，（可以学的两个参数），全局的均值，全局的方差，避免除0，用来更新全局均值和方差的）
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
  # 通过is_grad_enabled来判断当前模式是训练模式还是预测模式
  if not torch.is_grad_enabled():
    # 如果是在预测模式下，直接使用传入的移动平均所得的均值和方差
    X_hat = (X- moving_mean) / torch.sqrt(moving_var + eps)
  else:
    assert len(X.shape) in (2, 4)
    if len(X.shape) == 2:
      # 使用全连接层的情况，计算特征维上的均值和方差
      mean = X.mean(dim=0)
      var = ((X- mean) ** 2).mean(dim=0)
    else:
      # 使用二维卷积层的情况，计算通道维上（axis=1）的均值和方差。
      # 这里我们需要保持X的形状以便后面可以做广播运算
      mean = X.mean(dim=(0, 2, 3), keepdim=True)
      var = ((X- mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    # 训练模式下，用当前的均值和方差做标准化
    X_hat = (X- mean) / torch.sqrt(var + eps)
    # 更新移动平均的均值和方差
    moving_mean = momentum * moving_mean + (1.0- momentum) * mean
    moving_var = momentum * moving_var + (1.0- momentum) * var
  Y = gamma * X_hat + beta # 缩放和移位
  return Y, moving_mean.data, moving_var.data

# %%
class BatchNorm(nn.Module):
  # num_features：完全连接层的输出数量或卷积层的输出通道数。
  # num_dims：2表示完全连接层，4表示卷积层
  def __init__(self, num_features, num_dims):
    super().__init__()
    if num_dims == 2:
      shape = (1, num_features)
    else:
      shape = (1, num_features, 1, 1)
    # 参与求梯度和迭代的拉伸和偏移参数，分别初始化成1和0
    self.gamma = nn.Parameter(torch.ones(shape))
    self.beta = nn.Parameter(torch.zeros(shape))
    # 非模型参数的变量初始化为0和1
    self.moving_mean = torch.zeros(shape)
    self.moving_var = torch.ones(shape)

  def forward(self, X):
    # 如果X不在内存上，将moving_mean和moving_var
    # 复制到X所在显存上
    if self.moving_mean.device != X.device:
      self.moving_mean = self.moving_mean.to(X.device)
      self.moving_var = self.moving_var.to(X.device)
    # 保存更新过的moving_mean和moving_var
    Y, self.moving_mean, self.moving_var = batch_norm(
      X, self.gamma, self.beta, self.moving_mean,
      self.moving_var, eps=1e-5, momentum=0.9)
    return Y

# %%
# 实现LeNet
net = nn.Sequential(
  nn.Conv2d(1, 6, kernel_size=5), 
  BatchNorm(6, num_dims=4), # 6表示通道数
  nn.Sigmoid(),
  nn.AvgPool2d(kernel_size=2, stride=2),
  nn.Conv2d(6, 16, kernel_size=5), 
  BatchNorm(16, num_dims=4), 
  nn.Sigmoid(),
  nn.AvgPool2d(kernel_size=2, stride=2), 
  nn.Flatten(),
  nn.Linear(16*4*4, 120), 
  BatchNorm(120, num_dims=2), 
  nn.Sigmoid(),
  nn.Linear(120, 84), 
  BatchNorm(84, num_dims=2), 
  nn.Sigmoid(),
  nn.Linear(84, 10))

# %%
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)

# 打印每一层的输出维度
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__,'output shape: \t',X.shape)

# %%
lr, num_epochs, batch_size = 1.0, 10, 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
d2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, d2l.try_gpu())

# %%
# 查看gamma和beta的参数
net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,))

# %%
# 简单实现
net = nn.Sequential(
  nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
  nn.AvgPool2d(kernel_size=2, stride=2),
  nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
  nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
  nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
  nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
  nn.Linear(84, 10))

# %%
d2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, d2l.try_gpu())
