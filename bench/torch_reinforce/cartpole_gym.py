"""cartpole_gym.py -- the part of gymnasium that reinforce.py uses, for machines without gymnasium:
gym.make('CartPole-v1') with CartPoleEnv.step/reset copied from gymnasium/envs/classic_control/cartpole.py
(euler, tau 0.02, 12 degrees / 2.4, reward 1), the TimeLimit of 500 steps, reward_threshold 475 and
seeding.np_random (Generator(PCG64(SeedSequence(seed)))). examples/common/cartpole.c is its C twin."""
import math
import numpy as np


class _Spec:
    reward_threshold = 475.0
    max_episode_steps = 500


class CartPoleEnv:
    def __init__(self, render_mode=None):
        self.gravity = 9.8
        self.masscart = 1.0
        self.masspole = 0.1
        self.total_mass = self.masspole + self.masscart
        self.length = 0.5
        self.polemass_length = self.masspole * self.length
        self.force_mag = 10.0
        self.tau = 0.02
        self.theta_threshold_radians = 12 * 2 * math.pi / 360
        self.x_threshold = 2.4
        self.spec = _Spec()
        self.render_mode = render_mode
        self.np_random = None
        self.state = None
        self._elapsed_steps = 0

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + self.polemass_length * np.square(theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * np.square(costheta) / self.total_mass))
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = np.array((x, x_dot, theta, theta_dot), dtype=np.float64)
        terminated = bool(x < -self.x_threshold or x > self.x_threshold
                          or theta < -self.theta_threshold_radians or theta > self.theta_threshold_radians)
        self._elapsed_steps += 1
        truncated = self._elapsed_steps >= self.spec.max_episode_steps
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}

    def reset(self, *, seed=None):
        if seed is not None or self.np_random is None:
            self.np_random = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
        self.state = self.np_random.uniform(low=-0.05, high=0.05, size=(4,))
        self._elapsed_steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def render(self):
        pass


def make(name, render_mode=None):
    assert name == 'CartPole-v1'
    return CartPoleEnv(render_mode)
