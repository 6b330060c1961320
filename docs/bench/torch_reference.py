"""The reference observer network in PyTorch, for a side-by-side speed figure.

Same shape as convnet.DefaultArch with Streams off (the issue's reference):
conv 5x5x8 pad 2 -> ReLU -> maxpool 2 -> conv 5x5x16 pad 2 -> ReLU ->
maxpool 2 -> fully connected 32 -> heads (tint: 1 logit; pattern: 10
classes, convnet.PatternClasses), Adam, batch 32 of 64x64x3, loss = tint
BCE + pattern CE. Random inputs: this measures training throughput only.
The convolutions have no bias, as in the Go network.

    /usr/bin/python3 docs/bench/torch_reference.py   # Debian's python3-torch
"""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 5, padding=2, bias=False)
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2, bias=False)
        self.fc = nn.Linear(16 * 16 * 16, 32)
        self.tint = nn.Linear(32, 1)
        self.pattern = nn.Linear(32, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        f = F.relu(self.fc(x.flatten(1)))
        return self.tint(f).squeeze(1), self.pattern(f)


def images_per_second(threads, steps=300, batch=32):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    x = torch.rand(batch, 3, 64, 64)
    y_tint = torch.randint(0, 2, (batch,)).float()
    y_pat = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        t, p = net(x)
        loss = F.binary_cross_entropy_with_logits(t, y_tint) + F.cross_entropy(p, y_pat)
        loss.backward()
        opt.step()

    for _ in range(30):  # warm up
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


if __name__ == "__main__":
    print(f"torch {torch.__version__}")
    for threads in (1, 2):
        print(f"{threads} thread(s): {images_per_second(threads):.0f} images/s (training step, batch 32, 64x64)")
