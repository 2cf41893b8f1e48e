#!/usr/bin/python3
"""torch_mnist_cnn.py — pytorch/examples mnist/main.py (the CNN: conv 1->32 3x3, conv 32->64 3x3, max_pool 2,
dropout, fc 9216->128->10, Adadelta, StepLR), run on Fashion-MNIST's IDX files: the PyTorch twin of
examples/mnist_cnn.c. Only the data source changed (torchvision's MNIST -> the four .gz IDX files, same
ToTensor + Normalize((0.1307,), (0.3081,)) arithmetic in float32); the model, the loaders, the random draws
and every printed line are the script's. Extra options: --data DIR, --threads T, and for the benchmark
--max-batches N (stop each epoch's training after N batches; the time per batch goes to stderr).
usage: torch_mnist_cnn.py --batch-size 64 --test-batch-size 1000 --epochs 14 --lr 1.0 --gamma 0.7 --seed 1
                          --log-interval 10 [--dry-run] [--save-model] [--no-accel] [--data DIR] [--threads T]
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def idx_images(path):
    """(N, 1, 28, 28) float32: ToTensor (u8 / 255) then Normalize((0.1307,), (0.3081,)), as torchvision"""
    with gzip.open(path) as f:
        u8 = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    x = torch.from_numpy(u8.copy()).to(torch.float32).div(255)
    return x.sub_(torch.tensor(0.1307)).div_(torch.tensor(0.3081))


def idx_labels(path):
    with gzip.open(path) as f:
        return torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64))


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    t0 = time.perf_counter()
    nb = 0
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        nb += 1
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break
        if args.max_batches and nb >= args.max_batches:
            break
    dt = time.perf_counter() - t0
    print('train_batches %d train_s %.3f s_per_batch %.6f' % (nb, dt, dt / max(nb, 1)), file=sys.stderr)


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))


def main():
    parser = argparse.ArgumentParser(description='PyTorch MNIST Example (Fashion-MNIST IDX files)')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N')
    parser.add_argument('--epochs', type=int, default=14, metavar='N')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M')
    parser.add_argument('--no-accel', action='store_true')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N')
    parser.add_argument('--save-model', action='store_true')
    parser.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--max-batches', type=int, default=0)
    parser.add_argument('--no-test', action='store_true', help='skip the test pass (benchmark)')
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    torch.manual_seed(args.seed)
    device = torch.device("cpu")   # torch 1.13 has no torch.accelerator; the CPU path of the script

    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': args.test_batch_size}
    D = args.data
    dataset1 = torch.utils.data.TensorDataset(idx_images(os.path.join(D, 'train-images-idx3-ubyte.gz')),
                                              idx_labels(os.path.join(D, 'train-labels-idx1-ubyte.gz')))
    dataset2 = torch.utils.data.TensorDataset(idx_images(os.path.join(D, 't10k-images-idx3-ubyte.gz')),
                                              idx_labels(os.path.join(D, 't10k-labels-idx1-ubyte.gz')))
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        if not args.no_test:
            test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == '__main__':
    main()
