"""An idiomatic Mesa implementation of the simulator's daily contact step (the comparison baseline).

    python experiments/benchmarks/mesa_baseline.py --agents 100000 --days 3

What a user would otherwise write with Mesa 3: one ``FixedAgent`` per person placed on a
``mesa.discrete_space.Network`` built from the *same* world (the ties of a freshly built
``GroomingModel`` with the same config), and a model step ``agents.shuffle_do("step")`` in which
each agent iterates its neighbours in Python and, for each tie (once, from its lower id), draws an
interaction with the tie's daily probability (by channel, as in ``sim.contacts.benign_interactions``) and
counts it on every platform the tie is on. That is only the benign part of the simulator's day
(no suggestions, outreach, grooming transitions or moderation), so comparing the full simulator
against it understates the simulator's advantage.

Printed JSON: set-up seconds (graph + agents), seconds per day (median), agent-days/s, tie
trials/s, and the daily interaction counts next to the simulator's own (a sanity check: same
expectation, different random numbers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mesa  # noqa: E402
import networkx as nx  # noqa: E402
from common import base_overrides  # noqa: E402
from mesa.discrete_space import FixedAgent, Network  # noqa: E402


class Person(FixedAgent):
    """A person on the network; its step draws one interaction per tie with its neighbours."""

    def __init__(self, model, cell):
        super().__init__(model)
        self.cell = cell

    def step(self):
        model = self.model
        me = self.cell.coordinate
        edges = model.G.edges
        for other in self.cell.neighborhood.agents:
            them = other.cell.coordinate
            if them < me:
                continue  # each tie once, from its lower end
            model.trials += 1
            tie = edges[me, them]
            if self.random.random() < tie["p"]:
                mask = tie["mask"]
                for p in range(model.n_platforms):
                    if (mask >> p) & 1:
                        model.interactions[p] += 1


class ContactModel(mesa.Model):
    def __init__(self, G: nx.Graph, n_platforms: int, seed: int = 42):
        super().__init__(rng=seed)
        self.G = G
        self.n_platforms = n_platforms
        self.grid = Network(G, capacity=1, random=self.random)
        for node in G.nodes:
            Person(self, self.grid._cells[node])
        self.trials = 0
        self.interactions = [0] * n_platforms

    def step(self):
        self.trials = 0
        self.interactions = [0] * self.n_platforms
        self.agents.shuffle_do("step")


def graph_from_sim(m) -> nx.Graph:
    """The simulator's current ties as a networkx graph with the contact-step attributes."""
    u, v, mask, _day, chan, rel = m.ties.edges()
    p = m.interaction_p[chan]
    G = nx.Graph()
    G.add_nodes_from(range(m.pop.n))
    G.add_edges_from(
        (a, b, {"p": pp, "mask": mm})
        for a, b, pp, mm in zip(u.tolist(), v.tolist(), p.tolist(), mask.tolist())
    )
    return G


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--dense", action="store_true")
    a = ap.parse_args(argv)

    from sim.model import GroomingModel

    t0 = time.perf_counter()
    sm = GroomingModel(overrides=base_overrides(a.agents, 1, 1, a.dense))
    t_sim_build = time.perf_counter() - t0
    sm.step()  # one simulator day for the reference counts of benign interactions
    sim_counts = [sm.metrics.last(f"benign_interactions_{nm}") for nm in sm.platform_names]
    t1 = time.perf_counter()
    G = graph_from_sim(sm)
    n_platforms, n_agents, n_ties = sm.n_platforms, sm.pop.n, G.number_of_edges()
    del sm
    t2 = time.perf_counter()
    model = ContactModel(G, n_platforms)
    t3 = time.perf_counter()
    days = []
    counts = []
    for _ in range(a.days):
        t = time.perf_counter()
        model.step()
        days.append(time.perf_counter() - t)
        counts.append(list(model.interactions))
    # day 1 also builds Mesa's cached neighbourhoods: the steady figure uses days 2..N
    steady = days[1:] if len(days) > 1 else days
    sec = statistics.median(steady)
    out = {
        "agents": n_agents,
        "ties": n_ties,
        "days": a.days,
        "mesa_version": mesa.__version__,
        "sim_build_seconds": round(t_sim_build, 3),
        "graph_seconds": round(t2 - t1, 3),
        "mesa_setup_seconds": round(t3 - t2, 3),
        "seconds_per_day": sec,  # median of days 2..N
        "first_day_seconds": days[0],
        "seconds_per_day_all": days,
        "agent_days_per_second": n_agents / sec,
        "tie_trials_per_second": model.trials / sec,
        "interactions_per_platform_last_day": counts[-1],
        "sim_interactions_per_platform_day1": sim_counts,
    }
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
