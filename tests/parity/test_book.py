"""Parity idioms: The D2L chapter's own code, the book's other idioms, and ordinary training and evaluation loops."""
from .common import Y3, A, T, grad_of, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


@case
def chapter_batch_norm_function(torch):
    X = T(torch, 4, 3, 2, 2)
    moving_mean, moving_var = torch.zeros((1, 3, 1, 1)), torch.ones((1, 3, 1, 1))
    mean = X.mean(dim=(0, 2, 3), keepdim=True)
    var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    X_hat = (X - mean) / torch.sqrt(var + 1e-5)
    moving_mean = 0.9 * moving_mean + (1.0 - 0.9) * mean
    moving_var = 0.9 * moving_var + (1.0 - 0.9) * var
    return X_hat, moving_mean.data, moving_var.data


@case
def chapter_moving_mean_to_device(torch):
    m = torch.zeros((1, 3))
    X = T(torch, 2, 3)
    return m.device != X.device, m.to(X.device).shape


one("accuracy_idiom", lambda torch: (T(torch, 3, 4).argmax(dim=1) == torch.tensor(Y3)).float().mean().item())


@case
def old_style_data_update(torch):
    w = torch.nn.Parameter(torch.tensor(A(3, seed=5)))
    (w ** 2).sum().backward()
    w.data -= 0.1 * w.grad.data
    w.grad.data.zero_()
    w.data.sub_(torch.ones(3))
    return w, w.grad


@case
def evaluate_idiom(torch):
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    net(T(torch, 6, 4))
    net.eval()
    with torch.no_grad():
        out = net(T(torch, 2, 4, seed=1))
    return out.requires_grad, net[1].training, out.shape


one("d2l_cumsum_axis", lambda torch: torch.arange(12, dtype=torch.float32).reshape(3, 4).cumsum(axis=0))
one("d2l_mv_norm", lambda torch: (torch.mv(T(torch, 2, 3), T(torch, 3, seed=1)), torch.norm(T(torch, 3)),
                                  torch.ones((4, 9)).norm(), torch.abs(T(torch, 3)).sum()))
one("d2l_normalise_rows", lambda torch: (lambda A: A / A.sum(axis=1, keepdims=True))(T(torch, 2, 3, low=0.5)))
one("d2l_sum_axes_list", lambda torch: T(torch, 2, 3, 4).sum(axis=[0, 1]))
one("d2l_symmetric_check", lambda torch: (lambda B: B == B.T)(torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])))
one("d2l_dropout_mask", lambda torch: (lambda X: ((T(torch, 2, 3, low=0, high=1) > 0.5).float() * X / 0.5).shape)(
    T(torch, 2, 3)))


@case
def d2l_slice_assignment_in_place(torch):
    X, Y = T(torch, 3, 4), T(torch, 3, 4, seed=1)
    Z = torch.zeros_like(Y)
    before = id(Z)
    Z[:] = X + Y
    X[0:2, :] = 12
    return Z, X, id(Z) == before


@case
def d2l_autograd_dot(torch):
    x = torch.arange(4.0)
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    first = x.grad.clone()
    x.grad.zero_()
    y = x * x
    y.sum().backward()
    return first, x.grad


@case
def d2l_detach_u(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    return x.grad, u


@case
def training_loop_lenet_like(torch):
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                        nn.Flatten(), nn.Linear(8, 3))
    setw(torch, net[0].weight, A(2, 1, 3, 3, seed=1))
    setw(torch, net[0].bias, A(2, seed=2))
    setw(torch, net[5].weight, A(3, 8, seed=3))
    setw(torch, net[5].bias, A(3, seed=4))
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    loss_fn = nn.CrossEntropyLoss()
    x, y = T(torch, 4, 1, 4, 4), torch.tensor([0, 1, 2, 1])
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    net.eval()
    with torch.no_grad():
        acc = (net(x).argmax(dim=1) == y).float().mean().item()
    return losses, acc, net[1].running_mean


one("cumsum_axis", lambda torch: torch.arange(6.0).reshape(2, 3).cumsum(axis=0))
one("sum_axis_list", lambda torch: torch.arange(24.0).reshape(2, 3, 4).sum(axis=[0, 1]))
one("mean_axis_keepdims", lambda torch: torch.arange(6.0).reshape(2, 3).mean(axis=1, keepdims=True))
one("normalise_rows", lambda torch: (lambda A: A / A.sum(axis=1, keepdim=True))(torch.arange(6.0).reshape(2, 3) + 1))
one("range_index", lambda torch: (lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), y]))(
    torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), torch.tensor([0, 2])))
one("range_index_grad", lambda torch: _range_index_grad(torch))
one("cat_dims", lambda torch: (lambda X, Y: (torch.cat((X, Y), dim=0).shape, torch.cat((X, Y), dim=1).shape))(
    torch.arange(12, dtype=torch.float32).reshape((3, 4)), torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])))
one("X_eq_Y", lambda torch: torch.arange(4.0) == torch.tensor([0.0, 2, 2, 3]))
one("broadcast_column_row", lambda torch: torch.arange(3).reshape((3, 1)) + torch.arange(2).reshape((1, 2)))
one("id_changes_out_of_place", lambda torch: (lambda X, Y: (lambda before: id(Y + X) == before)(id(Y)))(
    torch.ones(2), torch.ones(2)))
one("slice_assign_keeps_id", lambda torch:
    (lambda Z, X: (lambda before: (Z.__setitem__(slice(None), X + X), id(Z) == before,
                                     Z)[1:])(id(Z)))(torch.zeros(3), torch.ones(3)))
one("iadd_keeps_id", lambda torch: (lambda X, Y: (lambda before: (X.__iadd__(Y), id(X) == before)[1])(id(X)))(
    torch.ones(2), torch.ones(2)))
one("numpy_roundtrip_types", lambda torch: (lambda A: (type(A).__name__, type(torch.tensor(A)).__name__))(
    torch.ones(2).numpy()))
one("scalar_conversions", lambda torch: (lambda a: (a.item(), float(a), int(a)))(torch.tensor([3.5])))
one("norms", lambda torch: (lambda u: (torch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9)))))(
    torch.tensor([3.0, -4.0])))
one("dot_and_sum", lambda torch: (lambda x, y: (torch.dot(x, y), torch.sum(x * y)))(torch.arange(4.0), torch.ones(4)))
one("matmul_vector", lambda torch: torch.matmul(torch.arange(6.0).reshape(2, 3), torch.tensor([1.0, 0.0, -1.0])))
one("synthetic_data", lambda torch: _synthetic_data(torch))
one("normal_mean_std_shape", lambda torch:
    (torch.normal(0, 1, (3, 2)).shape, torch.normal(0, 0.01, torch.Size([4])).shape,
         torch.normal(0, 1, (3, 2)).dtype))
one("batch_indices", lambda torch: (lambda f: f[torch.tensor(list(range(4))[1:3])])(torch.arange(8.0).reshape(4, 2)))
one("accuracy_cmp", lambda torch:
    (lambda y_hat, y: float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum()))(
    torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), torch.tensor([0, 2])))
one("softmax_scratch", lambda torch: (lambda X: (lambda e: e / e.sum(1, keepdim=True))(torch.exp(X)))(T(torch, 2, 5)))
one("grad_of_dot", lambda torch: grad_of(torch, lambda x: 2 * torch.dot(x, x)))
one("grad_after_zero", lambda torch: _grad_twice(torch))
one("grad_of_sum_of_square_vector", lambda torch: grad_of(torch, lambda x: (x * x).sum()))
one("detach_u", lambda torch: _detach_u(torch))
one("control_flow_grad", lambda torch: _control_flow(torch))
one("randn_size_kw_scalar", lambda torch: torch.randn(size=(), requires_grad=True).shape)
one("dropout_scratch", lambda torch: (lambda X: (lambda mask: (mask * X / (1.0 - 0.5)).dtype)(
    (torch.rand(X.shape) > 0.5).float()))(torch.arange(16, dtype=torch.float32).reshape((2, 8))))
one("pool_scratch", lambda torch: _pool2d(torch))
one("corr2d_scratch", lambda torch: _corr2d(torch))
one("corr2d_kernel_grad_raises", lambda torch: _corr2d_grad(torch))
one("chapter_moving_average", lambda torch: (lambda mm, mean: (0.9 * mm + (1.0 - 0.9) * mean).data)(
    torch.zeros(1, 3, 1, 1), T(torch, 1, 3, 1, 1)))
one("weight_data_edits", lambda torch: _weight_data_edits(torch))
one("apply_init_type_check", lambda torch: _apply_init(torch))
one("shape_after_layers", lambda torch: _shape_table(torch))
one("gamma_beta_reshape", lambda torch: (lambda bn: (bn.weight.reshape((-1,)), bn.bias.reshape((-1,))))(
    torch.nn.BatchNorm2d(3)))
one("size_slicing", lambda torch: (T(torch, 2, 3, 4).size()[1:], T(torch, 2, 3, 4).size(0)))
one("eval_loop", lambda torch: _eval_loop(torch))
one("max_data_predicted", lambda torch: (lambda out: torch.max(out.data, 1)[1])(T(torch, 4, 3, grad=True)))
one("pred_eq_view_as", lambda torch: (lambda out, target: (lambda pred: pred.eq(target.view_as(pred)).sum().item())(
    out.argmax(dim=1, keepdim=True)))(T(torch, 6, 3), torch.tensor([0, 1, 2, 0, 1, 2])))
one("stack_mean_losses", lambda torch: torch.stack([torch.tensor(1.0), torch.tensor(2.0)]).mean())
one("r3_one_hot_float", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 2]), 3).float())
one("sigmoid_threshold", lambda torch: (torch.sigmoid(T(torch, 5)) > 0.5).float())
one("device_pick", lambda torch: str(torch.device("cuda" if torch.cuda.is_available() else "cpu")))
one("r3_clone_detach", lambda torch: (lambda x: (lambda y: (y.requires_grad, y.is_leaf))(x.clone().detach()))(
    T(torch, 2, grad=True)))
one("clip_grad_norm", lambda torch: torch.nn.utils.clip_grad_norm_)
one("pow_inplace", lambda torch: torch.tensor([2.0, 3.0]).pow_(2))
one("sqrt_inplace", lambda torch: torch.tensor([4.0, 9.0]).sqrt_())
one("exp_neg", lambda torch: torch.exp(-T(torch, 3)))
one("masked_select", lambda torch: T(torch, 4).masked_select(T(torch, 4) > 0))
one("max_keepdim_index", lambda torch: T(torch, 3, 4).max(1, keepdim=True)[1])
one("train_loop_running_loss", lambda torch: _running_loss(torch))
one("item_accumulate", lambda torch: (lambda losses: (type(losses.sum().item()).__name__, losses.numel()))(T(torch, 4)))
one("loss_none_sum_mean", lambda torch: (lambda losses: (losses.mean().item() * 3, float(losses.sum())))(
    torch.nn.CrossEntropyLoss(reduction="none")(T(torch, 3, 4), torch.tensor([0, 1, 3]))))
one("tensor_long_list", lambda torch: torch.tensor([1.0, 2.0], dtype=torch.long))
one("ce_unbatched_1d", lambda torch: torch.nn.functional.cross_entropy(T(torch, 4, grad=True), torch.tensor(1)))
one("ce_unbatched_none", lambda torch:
    torch.nn.functional.cross_entropy(T(torch, 4), torch.tensor(1), reduction="none"))
one("linear_unbatched", lambda torch: _linear_unbatched(torch))


def _range_index_grad(torch):
    y_hat = T(torch, 3, 4, low=0.1, high=1.0, grad=True)
    (-torch.log(y_hat[range(3), torch.tensor([0, 3, 1])])).mean().backward()
    return y_hat.grad


def _synthetic_data(torch):
    torch.manual_seed(0)
    w, b = torch.tensor([2, -3.4]), 4.2
    X = torch.normal(0, 1, (100, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X.shape, y.reshape((-1, 1)).shape, X.dtype, y.dtype


def _grad_twice(torch):
    x = torch.arange(4.0, requires_grad=True)
    (2 * torch.dot(x, x)).backward()
    x.grad.zero_()
    x.sum().backward()
    return x.grad


def _detach_u(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    first = x.grad == u
    x.grad.zero_()
    y.sum().backward()
    return first, x.grad == 2 * x


def _control_flow(torch):
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        c = b if b.sum() > 0 else 100 * b
        return c

    a = torch.tensor(0.3, requires_grad=True)
    d = f(a)
    d.backward()
    return a.grad == d / a


def _pool2d(torch):
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    Y = torch.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            Y[i, j] = X[i: i + 2, j: j + 2].max()
    return Y


def _corr2d(torch):
    X, K = torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    Y = torch.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            Y[i, j] = (X[i:i + 2, j:j + 2] * K).sum()
    return Y


def _corr2d_grad(torch):
    X, K = torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
    Y = torch.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            Y[i, j] = (X[i:i + 2, j:j + 2] * K).sum()
    Y.sum().backward()
    return K.grad


def _weight_data_edits(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    net[0].weight.data[:] += 1
    return net[0].bias, net[0].weight.requires_grad, bool((net[0].weight > 0.9).all())


def _apply_init(torch):
    def init_weights(m):
        if type(m) == torch.nn.Linear or type(m) == torch.nn.Conv2d:  # noqa: E721  (the book's spelling)
            torch.nn.init.constant_(m.weight, 0.5)

    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(2, 2))
    net.apply(init_weights)
    return net[0].weight.sum(), net[2].weight.sum()


def _shape_table(torch):
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
                        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(), nn.Linear(6 * 12 * 12, 10))
    X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
    net.eval()
    rows = []
    for layer in net:
        X = layer(X)
        rows.append((layer.__class__.__name__, tuple(X.shape)))
    return rows


def _eval_loop(torch):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    for i, p in enumerate(net.parameters()):
        setw(torch, p, A(*p.shape, seed=10 + i))
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for seed in range(3):
            inputs, labels = T(torch, 5, 3, seed=seed), torch.tensor([0, 1, 1, 0, 1])
            outputs = net(inputs)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct, total, type(correct).__name__


def _running_loss(torch):
    net = torch.nn.Linear(3, 2)
    setw(torch, net.weight, A(2, 3, seed=1))
    setw(torch, net.bias, A(2, seed=2))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    criterion = torch.nn.CrossEntropyLoss()
    running = 0.0
    for seed in range(4):
        inputs, labels = T(torch, 6, 3, seed=seed), torch.tensor([0, 1, 1, 0, 1, 0])
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        running += loss.item() * inputs.size(0)
    return running, net.weight


def _linear_unbatched(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    return layer(T(torch, 3))


one("image_scale", lambda torch: torch.tensor([[0, 128, 255]], dtype=torch.uint8).float() / 255)
one("if_on_tensor", lambda torch: "yes" if torch.tensor([1.0]) else "no")
one("range_with_tensor", lambda torch: list(range(torch.tensor(3))))
