"""CuPy against NumPy: every op and layer computes the same forward and gradients on a GPU (the ops: the GPU
samples of tests/op_db.py).

All tests here are marked ``gpu`` and skipped (with the reason) where CuPy or a CUDA device is missing.
"""
import numpy as np
import pytest
from op_db import GPU, params

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.train import init_weights, train_step
from models import lenet_bn, lenet_bn_scratch

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not minigrad.cuda.is_available(), reason="CuPy/CUDA not available")]

TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}

def run(fn, arrays, device, dtype, upstream_seed=1):
    """Forward value and the gradient of every input, with a random upstream gradient."""
    inputs = [minigrad.tensor(a.astype(dtype), device=device, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape).astype(dtype)
    out.backward(minigrad.tensor(upstream, device=device))
    return out.numpy(), [t.grad.numpy() for t in inputs]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn, sample", params(GPU))
def test_op_matches_numpy(fn, sample, dtype):
    shapes = [spec.shape for spec in sample.inputs]
    rng = np.random.default_rng(0)
    arrays = [rng.permutation(int(np.prod(s))).reshape(s) / np.prod(s) - 0.4 for s in shapes]  # no ties for max
    cpu_out, cpu_grads = run(fn, arrays, "cpu", dtype)
    gpu_out, gpu_grads = run(fn, arrays, "cuda", dtype)
    np.testing.assert_allclose(gpu_out, cpu_out, **TOL[dtype])
    for g_gpu, g_cpu in zip(gpu_grads, cpu_grads):
        assert g_gpu.dtype == dtype
        np.testing.assert_allclose(g_gpu, g_cpu, **TOL[dtype])


def test_ops_return_device_arrays():
    import cupy
    x = minigrad.randn(2, 1, 8, 8, device="cuda", requires_grad=True)
    y = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sigmoid()).to("cuda")(x)
    assert isinstance(y.array, cupy.ndarray) and y.device == "cuda:0"
    y.sum().backward()
    assert isinstance(x.grad.array, cupy.ndarray)


def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        minigrad.ones(3) + minigrad.ones(3, device="cuda")


@pytest.mark.parametrize("make", [lenet_bn_scratch, lenet_bn])
def test_running_statistics_match_after_steps(make):
    nets = {}
    rng = np.random.default_rng(0)
    batches = [(rng.random((16, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 16)) for _ in range(4)]
    for device in ("cpu", "cuda"):
        minigrad.manual_seed(0)
        net = init_weights(make()).to(device)
        opt = minigrad.optim.SGD(net.parameters(), lr=0.5)
        for x, y in batches:
            train_step(net, minigrad.tensor(x, device=device), minigrad.tensor(y, device=device),
                       nn.CrossEntropyLoss(), opt)
        nets[device] = net
    cpu, gpu = nets["cpu"].state_dict(), nets["cuda"].state_dict()
    assert list(cpu) == list(gpu)
    for key in cpu:
        np.testing.assert_allclose(gpu[key].numpy(), cpu[key].numpy(), rtol=1e-4, atol=1e-5, err_msg=key)


def test_state_dict_device_round_trip(tmp_path):
    minigrad.manual_seed(0)
    net = lenet_bn().to("cuda")
    path = tmp_path / "net.npz"
    minigrad.save(net.state_dict(), path)
    back = lenet_bn()
    back.load_state_dict(minigrad.load(path))
    for (k, a), (_, b) in zip(net.state_dict().items(), back.state_dict().items()):
        assert b.device == "cpu"
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    again = lenet_bn().to("cuda")
    again.load_state_dict(minigrad.load(path, map_location="cuda"))
    assert all(t.device == "cuda:0" for t in list(again.parameters()) + list(again.buffers()))


@pytest.mark.parametrize("make", [lenet_bn_scratch, lenet_bn])
def test_lenet_bn_training_steps_match_cpu(make):
    rng = np.random.default_rng(1)
    x, y = rng.random((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)
    losses = {}
    for device in ("cpu", "cuda"):
        minigrad.manual_seed(0)
        net = init_weights(make()).to(device)
        opt = minigrad.optim.SGD(net.parameters(), lr=1.0)
        X, Y = minigrad.tensor(x, device=device), minigrad.tensor(y, device=device)
        losses[device] = [train_step(net, X, Y, nn.CrossEntropyLoss(), opt)[0].item() for _ in range(5)]
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-4, atol=1e-4)
    assert losses["cpu"][-1] < losses["cpu"][0]


@pytest.mark.parametrize("make", [lenet_bn_scratch, lenet_bn])
def test_hessian_vector_product_of_lenet_bn_matches_cpu(make):
    """Second derivatives on the GPU: every layer's backward_graph (conv, pooling, BatchNorm, cross-entropy) in CuPy."""
    rng = np.random.default_rng(2)
    x, y = rng.random((8, 1, 28, 28)), rng.integers(0, 10, 8)
    results = {}
    for device in ("cpu", "cuda"):
        minigrad.manual_seed(0)
        net = init_weights(make()).double().to(device)
        params = list(net.parameters())
        v = [minigrad.tensor(np.random.default_rng(3).standard_normal(p.shape), device=device) for p in params]
        loss = F.cross_entropy(net(minigrad.tensor(x, device=device)), minigrad.tensor(y, device=device))
        grads = minigrad.autograd.grad(loss, params, create_graph=True)
        hv = minigrad.autograd.grad(sum((g * u).sum() for g, u in zip(grads, v)), params)
        results[device] = [t.numpy() for t in hv]
    for a, b in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_batch_norm_third_derivative_matches_cpu():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal(3)]
    out = {}
    for device in ("cpu", "cuda"):
        x, g, b = (minigrad.tensor(a, device=device, requires_grad=True) for a in arrays)
        u = minigrad.tensor(rng.standard_normal((6, 3)) if device == "cpu" else out["u"], device=device)
        out["u"] = u.numpy()
        y = F.BatchNormFunction()(x, g, b)
        (gx,) = minigrad.autograd.grad((y * u).sum(), x, create_graph=True)
        (gxx,) = minigrad.autograd.grad((gx * gx).sum(), x, create_graph=True)
        (gxxx,) = minigrad.autograd.grad(gxx.sum(), x)
        out[device] = gxxx.numpy()
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-8, atol=1e-10)
