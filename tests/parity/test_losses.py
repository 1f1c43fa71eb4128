"""Parity idioms: Losses: cross_entropy (class weights, ignore_index, label smoothing), nll, mse, l1/smooth-l1/huber,
BCE, one_hot."""
import warnings

import numpy as np

from .common import Y3, A, T, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


@case
def cross_entropy_mean(torch):
    logits = T(torch, 3, 4, grad=True)
    loss = torch.nn.CrossEntropyLoss()(logits, torch.tensor(Y3))
    loss.backward()
    return loss, logits.grad


one("cross_entropy_sum", lambda torch: torch.nn.CrossEntropyLoss(reduction="sum")(T(torch, 3, 4), torch.tensor(Y3)))
one("cross_entropy_none", lambda torch: torch.nn.CrossEntropyLoss(reduction="none")(T(torch, 3, 4), torch.tensor(Y3)))
one("cross_entropy_bad_reduction_raises",
    lambda torch: torch.nn.CrossEntropyLoss(reduction="avg")(T(torch, 3, 4), torch.tensor(Y3)))
one("F_cross_entropy", lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor(Y3)))
one("F_cross_entropy_none", lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor(Y3),
                                                                             reduction="none"))
one("F_cross_entropy_label_smoothing",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor(Y3), label_smoothing=0.1))
one("F_cross_entropy_prob_targets",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.softmax(T(torch, 3, 4, seed=1), dim=1)))
one("cross_entropy_float_labels_raises",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor([2.0, 0.0, 1.0])))
one("cross_entropy_label_out_of_range_raises",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor([4, 0, 1])))
one("nll_loss", lambda torch: torch.nn.functional.nll_loss(torch.log_softmax(T(torch, 3, 4), dim=1), torch.tensor(Y3)))
one("mse_loss", lambda torch: (torch.nn.MSELoss()(T(torch, 3), T(torch, 3, seed=1)),
                               torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3, seed=1), reduction="sum")))
one("F_one_hot", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 2]), num_classes=3))
one("cross_entropy_from_scratch_range_index",
    lambda torch: -torch.log(torch.softmax(T(torch, 3, 4), dim=1)[range(3), torch.tensor(Y3)]))


@case
def cross_entropy_none_then_reduce(torch):
    logits = T(torch, 3, 4, grad=True)
    losses = torch.nn.CrossEntropyLoss(reduction="none")(logits, torch.tensor(Y3))
    losses.mean().backward()
    return losses, logits.grad


one("cross_entropy_class_weight", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 3, 4), torch.tensor(Y3), weight=torch.tensor([1.0, 2.0, 0.5, 1.0])))
one("cross_entropy_ignore_index", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 3, 4), torch.tensor([2, -100, 1])))
one("cross_entropy_4d", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 2, 3, 2, 2), torch.tensor(A(2, 2, 2, dtype=np.int64, low=0, high=3))))
one("cross_entropy_int32_targets", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 3, 4), torch.tensor(Y3, dtype=torch.int32)))
one("cross_entropy_float64", lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4, dtype=np.float64),
                                                                             torch.tensor(Y3)))
one("mse_loss_none", lambda torch:
    torch.nn.MSELoss(reduction="none")(T(torch, 2, 3, grad=True), T(torch, 2, 3, seed=1)))
one("mse_loss_float64_target", lambda torch: torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3, dtype=np.float64)))
one("mse_loss_bad_reduction", lambda torch: torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3), reduction="avg"))
one("mse_loss_int", lambda torch: torch.nn.functional.mse_loss(torch.tensor([1, 2]), torch.tensor([0, 0])))


@case
def mse_loss_grads(torch):
    a, b = T(torch, 4, 3, grad=True), T(torch, 4, 3, seed=1, grad=True)
    torch.nn.functional.mse_loss(a, b).backward()
    return a.grad, b.grad


@case
def mse_loss_broadcast_warns(torch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3, 1, seed=1))
    return loss, any("different to the input size" in str(w.message) for w in caught)


one("nll_loss_none", lambda torch:
    torch.nn.NLLLoss(reduction="none")(T(torch, 3, 4, grad=True), torch.tensor([3, 0, 1])))
one("nll_loss_sum", lambda torch:
    torch.nn.functional.nll_loss(T(torch, 3, 4), torch.tensor([3, 0, 1]), reduction="sum"))
one("nll_loss_target_out_of_range", lambda torch: torch.nn.functional.nll_loss(T(torch, 2, 3), torch.tensor([0, 5])))


@case
def nll_loss_of_log_softmax_grad(torch):
    z = T(torch, 4, 5, grad=True)
    torch.nn.functional.nll_loss(torch.nn.functional.log_softmax(z, dim=1), torch.tensor([4, 0, 2, 2])).backward()
    return z.grad


one("one_hot_inferred_classes", lambda torch: torch.nn.functional.one_hot(torch.tensor([[1, 3], [0, 0]])))
one("one_hot_0d", lambda torch: torch.nn.functional.one_hot(torch.tensor(2), 4))
one("one_hot_empty_with_classes", lambda torch: torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long), 3))
one("one_hot_empty_inferred", lambda torch: torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long)))
one("one_hot_too_few_classes", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 2]), 2))
one("one_hot_negative", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, -1])))
one("one_hot_float", lambda torch: torch.nn.functional.one_hot(torch.tensor([0.0, 1.0])))
one("one_hot_int32", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 1], dtype=torch.int32), 3))
one("ce_loss_unbatched", lambda torch: torch.nn.CrossEntropyLoss()(T(torch, 4), torch.tensor(2)))
one("ce_loss_target_2d_raises", lambda torch:
    torch.nn.CrossEntropyLoss()(T(torch, 3, 4), torch.tensor([[1], [2], [0]])))
one("ce_loss_sum_grad", lambda torch: _ce_grad(torch, "sum"))
one("ce_loss_none_grad", lambda torch: _ce_grad(torch, "none"))
one("ce_loss_mean_grad", lambda torch: _ce_grad(torch, "mean"))
one("ce_loss_empty_batch", lambda torch:
    torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)))
one("ce_loss_repr", lambda torch: repr(torch.nn.CrossEntropyLoss()))
one("ce_loss_reduction_attr", lambda torch: torch.nn.CrossEntropyLoss(reduction="sum").reduction)
one("mse_loss_sum", lambda torch: torch.nn.MSELoss(reduction="sum")(T(torch, 2, 3), T(torch, 2, 3, seed=1)))
one("mse_loss_shape_mismatch_broadcast", lambda torch:
    torch.nn.functional.mse_loss(T(torch, 3, 1), T(torch, 3, seed=1)))
one("bce_loss", lambda torch: torch.nn.BCELoss()(torch.sigmoid(T(torch, 4)), torch.tensor([0.0, 1.0, 1.0, 0.0])))
one("bce_with_logits", lambda torch: torch.nn.BCEWithLogitsLoss()(T(torch, 4), torch.tensor([0.0, 1.0, 1.0, 0.0])))
one("l1_loss", lambda torch: torch.nn.L1Loss()(T(torch, 4), T(torch, 4, seed=1)))


def _ce_grad(torch, reduction):
    z = T(torch, 4, 3, grad=True)
    loss = torch.nn.CrossEntropyLoss(reduction=reduction)(z, torch.tensor([0, 2, 1, 2]))
    loss.sum().backward()
    return loss, z.grad


def _ce_variant(torch, fn_kwargs, reduction="mean", targets=(0, 2, -100, 1, 2), module=False):
    z = T(torch, 5, 3, grad=True)
    t = torch.tensor(list(targets))
    kwargs = dict(fn_kwargs)
    if "weight" in kwargs:
        kwargs["weight"] = torch.tensor(kwargs["weight"])
    if module:
        loss = torch.nn.CrossEntropyLoss(reduction=reduction, **kwargs)(z, t)
    else:
        loss = torch.nn.functional.cross_entropy(z, t, reduction=reduction, **kwargs)
    loss.sum().backward()
    return loss, z.grad


for _red in ("mean", "sum", "none"):
    one(f"ce_ignore_index_{_red}", lambda torch, r=_red: _ce_variant(torch, {}, r))
    one(f"ce_weight_{_red}", lambda torch, r=_red: _ce_variant(torch, {"weight": [0.2, 1.0, 3.0]}, r, (0, 2, 1, 1, 2)))
    one(f"ce_weight_ignore_{_red}", lambda torch, r=_red: _ce_variant(torch, {"weight": [0.2, 1.0, 3.0],
                                                                                 "ignore_index": 1}, r))
    one(f"ce_smoothing_{_red}", lambda torch, r=_red: _ce_variant(torch, {"label_smoothing": 0.2}, r))
    one(f"ce_smoothing_weight_ignore_{_red}", lambda torch, r=_red: _ce_variant(
        torch, {"label_smoothing": 0.1, "weight": [0.5, 2.0, 1.0]}, r))

one("ce_all_ignored_mean", lambda torch: _ce_variant(torch, {}, "mean", (-100,) * 5))
one("ce_module_weight_ignore", lambda torch: _ce_variant(torch, {"weight": [0.2, 1.0, 3.0], "ignore_index": 2},
                                                            module=True))
one("ce_module_smoothing", lambda torch: _ce_variant(torch, {"label_smoothing": 0.3}, "sum", module=True))
one("ce_module_attrs", lambda torch:
    (lambda loss: (loss.ignore_index, loss.label_smoothing, loss.weight, loss.reduction))(
    torch.nn.CrossEntropyLoss()))
one("ce_bad_target_with_ignore", lambda torch: torch.nn.functional.cross_entropy(T(torch, 2, 3), torch.tensor([-1, 1])))
one("ce_weight_wrong_size", lambda torch: torch.nn.functional.cross_entropy(T(torch, 2, 3), torch.tensor([0, 1]),
                                                                               weight=torch.ones(4)))


@case
def nll_weight_ignore(torch):
    z = T(torch, 4, 3, grad=True)
    logp = torch.nn.functional.log_softmax(z, dim=1)
    loss = torch.nn.NLLLoss(weight=torch.tensor([1.0, 0.5, 2.0]), ignore_index=0)(logp, torch.tensor([0, 1, 2, 2]))
    loss.backward()
    return loss, z.grad


@case
def nll_ignore_none(torch):
    logp = T(torch, 4, 3, grad=True)
    loss = torch.nn.functional.nll_loss(logp, torch.tensor([1, -100, 2, 0]), reduction="none")
    loss.sum().backward()
    return loss, logp.grad


def _loss_and_grads(torch, loss, x_args=(4, 3), target=None, **kw):
    x = T(torch, *x_args, grad=True, low=-3, high=3)
    t = T(torch, *x_args, seed=1, low=0, high=1, grad=True) if target is None else target(torch)
    out = loss(torch.nn.functional, x, t, **kw)
    (out * torch.tensor(A(*out.shape, seed=9))).sum().backward()
    return out, x.grad, t.grad


_F_LOSSES = {
    "l1_loss": lambda F, x, t, **kw: F.l1_loss(x, t, **kw),
    "smooth_l1_loss": lambda F, x, t, **kw: F.smooth_l1_loss(x, t, **kw),
    "smooth_l1_loss_beta": lambda F, x, t, **kw: F.smooth_l1_loss(x, t, beta=0.3, **kw),
    "smooth_l1_loss_beta0": lambda F, x, t, **kw: F.smooth_l1_loss(x, t, beta=0.0, **kw),
    "huber_loss": lambda F, x, t, **kw: F.huber_loss(x, t, **kw),
    "l1_loss_weight": lambda F, x, t, **kw: F.l1_loss(x, t, weight=t.detach() * 2 + 0.1, **kw),
    "huber_loss_weight": lambda F, x, t, **kw: F.huber_loss(x, t, weight=t * 3, **kw),
    "huber_loss_delta": lambda F, x, t, **kw: F.huber_loss(x, t, delta=0.4, **kw),
    "bce": lambda F, x, t, **kw: F.binary_cross_entropy(x.sigmoid(), t, **kw),
    "bce_weight": lambda F, x, t, **kw: F.binary_cross_entropy(x.sigmoid(), t, weight=t.detach() + 0.5, **kw),
    "bce_logits": lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(x * 10, t, **kw),
    "bce_logits_pos_weight": lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=t.new_tensor([3.0, 1.0, 0.2]), **kw),
    "bce_logits_both_weights": lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(
        x, t, weight=t.new_tensor([[0.5], [1.0], [2.0], [1.5]]), pos_weight=t.new_tensor([2.0, 1.0, 0.5]), **kw),
}

for _name, _loss in _F_LOSSES.items():
    for _reduction in ("mean", "sum", "none"):
        one(f"F_{_name}_{_reduction}", lambda torch, f=_loss, r=_reduction: _loss_and_grads(torch, f, reduction=r))

one("F_bce_exact_zero_one", lambda torch: (lambda p: (lambda out: (out.sum().backward(), out, p.grad)[1:])(
    torch.nn.functional.binary_cross_entropy(p, torch.tensor([0.0, 1.0, 1.0, 0.0]), reduction="none")))(
    torch.tensor([0.0, 0.3, 0.0, 1.0], requires_grad=True)))
one("F_bce_out_of_range", lambda torch:
    torch.nn.functional.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
one("F_bce_target_shape", lambda torch:
    torch.nn.functional.binary_cross_entropy(T(torch, 2, low=0, high=1), T(torch, 2, 1, low=0, high=1)))
one("F_bce_int_target", lambda torch:
    torch.nn.functional.binary_cross_entropy(T(torch, 2, low=0, high=1), torch.tensor([1, 0])))
one("F_bce_logits_target_shape", lambda torch:
    torch.nn.functional.binary_cross_entropy_with_logits(T(torch, 2), T(torch, 2, 1)))
one("F_bce_logits_extreme", lambda torch: _loss_and_grads(
    torch, lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(x * 100, t, **kw), reduction="none"))
one("F_l1_loss_broadcast_warns", lambda torch: torch.nn.functional.l1_loss(T(torch, 3), T(torch, 2, 1)))
one("F_smooth_l1_negative_beta", lambda torch: torch.nn.functional.smooth_l1_loss(T(torch, 3), T(torch, 3), beta=-1.0))
one("F_l1_loss_weight_shape", lambda torch: torch.nn.functional.l1_loss(T(torch, 3), T(torch, 3), weight=torch.ones(1)))
one("F_huber_zero_delta", lambda torch: torch.nn.functional.huber_loss(T(torch, 3), T(torch, 3), delta=0.0))
one("F_l1_loss_bad_reduction", lambda torch: torch.nn.functional.l1_loss(T(torch, 3), T(torch, 3), reduction="avg"))

for _module, _f in (("L1Loss", lambda nn, t: nn.L1Loss()), ("L1Loss_sum", lambda nn, t: nn.L1Loss(reduction="sum")),
                    ("SmoothL1Loss", lambda nn, t: nn.SmoothL1Loss(beta=0.5)),
                    ("HuberLoss", lambda nn, t: nn.HuberLoss(delta=2.0)),
                    ("BCEWithLogitsLoss", lambda nn, t: nn.BCEWithLogitsLoss(pos_weight=t.tensor([2.0, 1.0, 0.5]))),
                    ("BCEWithLogitsLoss_none", lambda nn, t: nn.BCEWithLogitsLoss(reduction="none"))):
    one(f"nn_{_module}", lambda torch, f=_f:
        (lambda m: (repr(m), m(T(torch, 4, 3), T(torch, 4, 3, seed=1, low=0, high=1)),
                    sorted(m.state_dict())))(f(torch.nn, torch)))

one("nn_BCELoss_weight", lambda torch: (lambda m: (repr(m), list(m.state_dict()), m(
    T(torch, 4, 3, low=0.01, high=0.99), T(torch, 4, 3, seed=1, low=0, high=1))))(
    torch.nn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5]))))
one("nn_BCEWithLogitsLoss_train_step", lambda torch: (lambda lin: (
    setw(torch, lin.weight, A(1, 3, seed=1)), setw(torch, lin.bias, A(1, seed=2)),
    torch.nn.BCEWithLogitsLoss()(lin(T(torch, 5, 3)).squeeze(1), (T(torch, 5, seed=3) > 0).float()).backward(),
    lin.weight.grad, lin.bias.grad)[3:])(torch.nn.Linear(3, 1)))
