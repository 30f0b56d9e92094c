"""Friend-suggestion scores equal networkx's link-prediction functions.

Guards the kernels behind "people you may know" (``sim.suggestions.score_pair``,
``fof_candidates`` and ``candidate_score``) in both backends: on random graphs stored in a
:class:`sim.network.TieStore`, each rule gives networkx's number (common neighbours, Jaccard,
Adamic-Adar, preferential attachment), only the ties on the platform in question count, and the
candidates are exactly the friends-of-friends (plus the contact-book signal when it is on).
Floats are compared with a relative tolerance of 1e-12: both sides compute the same sums, only
possibly in another order.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.backend import kernels
from sim.categories import Channel
from sim.config import RULES
from sim.network import TieStore

REL = 1e-12

#: Random graphs: (nodes, edge probability, seed). Sparse, medium and dense; isolated nodes occur.
GRAPHS = [(30, 0.08, 1), (30, 0.15, 2), (40, 0.1, 3), (25, 0.3, 4), (12, 0.6, 5)]


@pytest.fixture(scope="module", params=["python", "numba"])
def KM(request):
    """The kernel namespace of each backend."""
    return kernels(request.param)


def nx_score(rule: str, G: nx.Graph, u: int, v: int) -> float:
    if rule == "common_neighbors":
        return float(len(list(nx.common_neighbors(G, u, v))))
    fn = {
        "jaccard": nx.jaccard_coefficient,
        "adamic_adar": nx.adamic_adar_index,
        "preferential_attachment": nx.preferential_attachment,
    }[rule]
    ((_, _, s),) = fn(G, [(u, v)])
    return float(s)


def store(G: nx.Graph, masks=None, n_platforms: int = 1, chans=None) -> TieStore:
    """A TieStore of G's edges; platform mask 1 on every tie unless ``masks`` is given.

    Channels default to ``household`` (an offline structural tie when its mask is 0).
    """
    e = np.array(list(G.edges()), np.int64).reshape(-1, 2)
    m = np.ones(len(e), np.uint8) if masks is None else np.asarray(masks, np.uint8)
    c = np.full(len(e), Channel.HOUSEHOLD, np.int8) if chans is None else np.asarray(chans, np.int8)
    return TieStore(G.number_of_nodes(), n_platforms, e[:, 0], e[:, 1], m, c)


def scratch(n: int):
    """Candidate arrays for one user and a hash table of 2**hbits slots (at least 2n: every node
    fits). The table must come back all -1 after each call (it is reused without clearing)."""
    hbits = max(2, int(2 * n - 1).bit_length())
    return dict(
        ht_key=np.full(1 << hbits, -1, np.int64),
        hbits=hbits,
        ht_idx=np.zeros(1 << hbits, np.int64),
        ht_used=np.zeros(n, np.int64),
        cnt=np.zeros(n),
        aa=np.zeros(n),
        book=np.zeros(n, np.uint8),
        cand=np.zeros(n, np.int64),
    )


def fof(KM, ts, u, p, sc, contact_book=0.0, acct=None, suggestible=None, banned=None):
    n = ts.n
    acct = np.ones((n, ts.n_platforms), bool) if acct is None else acct
    suggestible = np.ones(n, bool) if suggestible is None else suggestible
    banned = np.zeros(n, bool) if banned is None else banned
    elig = acct[:, p] & suggestible & ~banned
    scratch_arrays = tuple(sc[k] for k in ("ht_key", "ht_idx", "ht_used", "cand", "cnt", "aa", "book"))
    nb = np.zeros(3 * int(ts.deg[u]), np.int64)
    nc = KM.fof_candidates(u, p, contact_book, ts.arrays, elig, scratch_arrays, sc["hbits"], nb)
    assert (sc["ht_key"] == -1).all()  # the table is left empty for the next user
    bound = KM.fof_bound(u, p, ts.arrays)
    assert nc <= bound
    return [int(w) for w in sc["cand"][:nc]]


def distance_two(G: nx.Graph, u: int) -> set[int]:
    d = nx.single_source_shortest_path_length(G, u, cutoff=2)
    return {w for w, k in d.items() if k == 2}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("graph", GRAPHS, ids=lambda g: f"gnp{g[0]}-{g[1]}-s{g[2]}")
def test_score_pair_equals_networkx(KM, rule, graph):
    G = nx.gnp_random_graph(*graph)
    ts = store(G)
    r = RULES.index(rule)
    n = G.number_of_nodes()
    for u in range(n):
        for v in range(u + 1, n):  # every pair, tied or not
            got = KM.score_pair(rule=r, ties=ts.arrays, p=0, u=u, v=v)
            assert got == pytest.approx(nx_score(rule, G, u, v), rel=REL, abs=0), (u, v)


@pytest.mark.parametrize("graph", GRAPHS, ids=lambda g: f"gnp{g[0]}-{g[1]}-s{g[2]}")
def test_candidates_are_friends_of_friends_with_networkx_scores(KM, graph):
    G = nx.gnp_random_graph(*graph)
    ts = store(G)
    n = G.number_of_nodes()
    sc = scratch(n)  # reused without clearing, as in the model
    for u in range(n):
        cands = fof(KM, ts, u, 0, sc)
        assert len(cands) == len(set(cands))
        assert set(cands) == distance_two(G, u)
        for i, w in enumerate(cands):
            for rule in RULES:
                got = KM.candidate_score(RULES.index(rule), u, w, 0, sc["cnt"][i], sc["aa"][i], ts.pdeg)
                assert got == pytest.approx(nx_score(rule, G, u, w), rel=REL, abs=0), (rule, u, w)


def test_scores_count_only_ties_on_the_platform(KM):
    """Two platforms: each score equals networkx's on the subgraph of ties on that platform."""
    G = nx.gnp_random_graph(40, 0.2, seed=11)
    rng = np.random.default_rng(11)
    masks = rng.integers(0, 4, size=G.number_of_edges())  # offline, p0, p1 or both
    ts = store(G, masks, n_platforms=2)
    n = G.number_of_nodes()
    for p in (0, 1):
        Gp = nx.Graph()
        Gp.add_nodes_from(range(n))
        Gp.add_edges_from(e for e, m in zip(G.edges(), masks) if (m >> p) & 1)
        assert [int(x) for x in ts.pdeg[:, p]] == [Gp.degree(i) for i in range(n)]
        sc = scratch(n)
        for u in range(n):
            for rule in RULES:
                for v in range(u + 1, n, 3):
                    got = KM.score_pair(rule=RULES.index(rule), ties=ts.arrays, p=p, u=u, v=v)
                    assert got == pytest.approx(nx_score(rule, Gp, u, v), rel=REL, abs=0)
            cands = fof(KM, ts, u, p, sc)
            assert set(cands) == distance_two(Gp, u)
            for i, w in enumerate(cands):
                assert sc["cnt"][i] == len(list(nx.common_neighbors(Gp, u, w)))


def test_candidates_exclude_banned_unsuggestible_and_accountless(KM):
    G = nx.gnp_random_graph(40, 0.15, seed=21)
    ts = store(G)
    n = G.number_of_nodes()
    rng = np.random.default_rng(21)
    banned = rng.random(n) < 0.2
    suggestible = rng.random(n) >= 0.2
    acct = (rng.random(n) >= 0.2)[:, None]
    allowed = {w for w in range(n) if acct[w, 0] and suggestible[w] and not banned[w]}
    sc = scratch(n)
    for u in range(n):
        cands = fof(KM, ts, u, 0, sc, acct=acct, suggestible=suggestible, banned=banned)
        # excluded people are never suggested, but still connect u to their friends
        assert set(cands) == distance_two(G, u) & allowed
        for i, w in enumerate(cands):
            assert sc["cnt"][i] == len(list(nx.common_neighbors(G, u, w)))


def test_contact_book_adds_live_ties_not_on_the_platform(KM):
    """With contact_book > 0, u's ties not on the platform are candidates (the contact book):
    those on another platform and offline structural ones, but not dormant online ties (ended
    by a block, report or ban: mask 0 and an online channel)."""
    G = nx.gnp_random_graph(40, 0.15, seed=31)
    rng = np.random.default_rng(31)
    masks = rng.integers(0, 4, size=G.number_of_edges())  # offline/dormant, p0, p1 or both
    chans = np.where(rng.random(G.number_of_edges()) < 0.5, Channel.SCHOOL, Channel.SEARCH)
    ts = store(G, masks, n_platforms=2, chans=chans)
    n = G.number_of_nodes()
    G0 = nx.Graph()
    G0.add_nodes_from(range(n))
    G0.add_edges_from(e for e, m in zip(G.edges(), masks) if m & 1)
    live = {frozenset(e) for e, m, c in zip(G.edges(), masks, chans) if m != 0 or c == Channel.SCHOOL}
    sc = scratch(n)
    n_book = 0
    for u in range(n):
        book = {v for v in G[u] if not G0.has_edge(u, v) and frozenset((u, v)) in live}
        n_book += len(book)
        cands = fof(KM, ts, u, 0, sc, contact_book=1.0)
        assert set(cands) == distance_two(G0, u) | book
        assert {w for i, w in enumerate(cands) if sc["book"][i] == 1} == book
        for i, w in enumerate(cands):
            assert sc["cnt"][i] == len(list(nx.common_neighbors(G0, u, w)))
        # without the contact book only friends-of-friends on the platform
        cands0 = fof(KM, ts, u, 0, sc, contact_book=0.0)
        assert set(cands0) == distance_two(G0, u)
    assert n_book > 20  # the graph does exercise the contact book


# --------------------------------------------------------------------------------------------
# Sampled candidates (suggestions.candidates=sampled): walk_candidates
# --------------------------------------------------------------------------------------------


def walked(KM, ts, u, p, walks, key, sc, contact_book=0.0, elig=None):
    """walk_candidates for u: {candidate: (cnt estimate, aa estimate, book)}; checks the table
    is emptied by ht_clear and the bound holds."""
    n = ts.n
    elig = np.ones(n, bool) if elig is None else elig
    nb = np.zeros(4 * int(ts.deg[u]) + walks, np.int64)
    scratch_arrays = tuple(sc[k] for k in ("ht_key", "ht_idx", "ht_used", "cand", "cnt", "aa", "book"))
    with np.errstate(over="ignore"):  # numpy uint64 scalars wrap, as intended (python backend)
        nc, n_used = KM.walk_candidates(
            u, p, contact_book, walks, np.uint64(key), ts.arrays, elig, scratch_arrays, sc["hbits"], nb
        )
    assert n_used <= KM.walk_bound(u, walks, ts.arrays)
    out = {
        int(sc["cand"][i]): (float(sc["cnt"][i]), float(sc["aa"][i]), int(sc["book"][i])) for i in range(nc)
    }
    KM.ht_clear(sc["ht_key"], sc["ht_used"], n_used)
    assert (sc["ht_key"] == -1).all()
    return out


@pytest.mark.parametrize("graph", GRAPHS, ids=lambda g: f"gnp{g[0]}-{g[1]}-s{g[2]}")
def test_sampled_candidates_are_exact_when_the_budget_covers_every_path(KM, graph):
    """With more walks than two-hop paths every path is taken once (weight 1): the sampled
    candidates and statistics are the exact ones, networkx's numbers."""
    G = nx.gnp_random_graph(*graph)
    ts = store(G)
    n = G.number_of_nodes()
    sc = scratch(n * n)
    for u in range(n):
        got = walked(KM, ts, u, 0, 10_000, 12345 + u, sc)
        assert set(got) == distance_two(G, u)
        for w, (c, a, _) in got.items():
            assert c == len(list(nx.common_neighbors(G, u, w)))
            assert a == pytest.approx(nx_score("adamic_adar", G, u, w), rel=REL, abs=0)


def test_sampled_estimates_of_common_neighbours_and_adamic_adar_are_unbiased():
    """Averaged over many keys (days), the estimates equal the exact scores: each two-hop path
    is taken with probability walks / paths and weighted by its inverse. Tolerance: 5% of the
    exact value, about 5 standard errors of the mean over 2,000 keys on this graph."""
    KM = kernels("numba")
    G = nx.gnp_random_graph(40, 0.2, seed=7)
    ts = store(G)
    sc = scratch(40 * 40)
    u = max(G, key=G.degree)
    exact = {
        w: (len(list(nx.common_neighbors(G, u, w))), nx_score("adamic_adar", G, u, w))
        for w in distance_two(G, u)
    }
    paths = sum(G.degree(z) for z in G[u])
    walks = paths // 4
    tot = {w: [0.0, 0.0] for w in exact}
    keys = 2000
    for key in range(keys):
        for w, (c, a, _) in walked(KM, ts, u, 0, walks, key * 7919 + 1, sc).items():
            tot[w][0] += c
            tot[w][1] += a
    for w, (c, a) in exact.items():
        assert tot[w][0] / keys == pytest.approx(c, rel=0.05), w
        assert tot[w][1] / keys == pytest.approx(a, rel=0.05), w


@pytest.fixture(scope="module")
def small_world():
    """The small test world (tests/helpers.py SMALL) as built, before day 1."""
    from helpers import make_cfg, small

    from sim.model import GroomingModel

    return GroomingModel(make_cfg(small()))


def _recall(rule: str, Gp: nx.Graph, u: int, d2: list[int], picked: list[int], k: int) -> float:
    """Share of the exact top-k that the picked candidates fill: a pick counts when its exact
    (networkx) score reaches the k-th best exact score (equal scores are interchangeable)."""
    if rule == "common_neighbors":
        ex = {w: float(len(list(nx.common_neighbors(Gp, u, w)))) for w in d2}
    else:
        ex = {w: nx_score(rule, Gp, u, w) for w in d2}
    kk = min(k, len(d2))
    tau = sorted(ex.values(), reverse=True)[kk - 1]
    return sum(1 for w in picked[:kk] if ex[w] >= tau * (1 - 1e-12)) / kk


@pytest.mark.parametrize("rule", RULES)
def test_sampled_top_k_recovers_the_exact_top_k(small_world, rule):
    """On the small test world, for each rule, the top 10 by the score estimated from the
    default walk budget (conf/suggestions/default.yaml) fill >= 0.8 of the exact top 10
    (networkx's scores), averaged over 200 users per platform with friends-of-friends. The
    rule's score alone (no homophily or contact book: those are applied identically in both
    modes). Measured: >= 0.97 for every rule and platform at 32 walks (0.78-1.0 at 16)."""
    m = small_world
    KM = m.K
    walks = int(m.cfg.suggestions.walks_per_user)
    ts = m.ties
    n, k, r = ts.n, 10, RULES.index(rule)
    u_, v_, mask, *_ = ts.edges()
    sc = scratch(4096)
    recalls = []
    for p in range(m.n_platforms):
        if not m.plat_cfg[p].suggestions:
            continue
        on = (mask >> p) & 1 == 1
        Gp = nx.Graph()
        Gp.add_nodes_from(range(n))
        Gp.add_edges_from(zip(u_[on].tolist(), v_[on].tolist()))
        users = np.random.default_rng(p).permutation(m.acct_users[p])
        done = 0
        for u in users.tolist():
            d2 = sorted(distance_two(Gp, u))
            if not d2:
                continue
            got = walked(KM, ts, u, p, walks, 1000 + u, sc)
            est = {w: KM.candidate_score(r, u, w, p, c, a, ts.pdeg) for w, (c, a, _) in got.items()}
            picked = sorted(est, key=lambda w: -est[w])
            recalls.append(_recall(rule, Gp, u, d2, picked, k))
            done += 1
            if done == 200:
                break
    assert len(recalls) >= 600
    assert float(np.mean(recalls)) >= 0.8


def test_contact_book_candidates_are_the_same_in_both_modes(KM):
    """The contact-book signal (u's own live ties not on the platform) is not sampled."""
    G = nx.gnp_random_graph(40, 0.15, seed=31)
    rng = np.random.default_rng(31)
    masks = rng.integers(0, 4, size=G.number_of_edges())
    chans = np.where(rng.random(G.number_of_edges()) < 0.5, Channel.SCHOOL, Channel.SEARCH)
    ts = store(G, masks, n_platforms=2, chans=chans)
    n = G.number_of_nodes()
    sc = scratch(n * n)
    for u in range(n):
        exact = fof(KM, ts, u, 0, sc, contact_book=1.0)
        book = {w for i, w in enumerate(exact) if sc["book"][i] == 1}
        got = walked(KM, ts, u, 0, 4, 99 + u, sc, contact_book=1.0)
        assert {w for w, (_, _, b) in got.items() if b == 1} == book
        assert set(got) <= set(exact)


#: Exposure outcomes compared between the two modes.
EXPOSURE = (
    "children_contacted",
    "children_engaged",
    "children_sexual_communication",
    "ties_created_by_offender_contact",
    "ties_created_by_suggestion",
)


def test_exposure_outcomes_agree_between_sampled_and_exact_candidates():
    """Over 8 paired seeds (small world, 60 days, no burn-in) each exposure outcome summed over
    the seeds differs between the modes by at most 5%. Measured: <= 1.4% (the suggested ties;
    the children's outcomes <= 0.8%). 5% is well under the intervention effects the model is
    used to compare, and well above the seed-to-seed noise of these paired sums."""
    from helpers import run_model, small

    tot = {mode: dict.fromkeys(EXPOSURE, 0) for mode in ("exact", "sampled")}
    for seed in range(1, 9):
        for mode in tot:
            s = run_model(small(f"seed={seed}", f"suggestions.candidates={mode}", "days=60")).summary()
            for key in EXPOSURE:
                tot[mode][key] += s[key]
    for key in EXPOSURE:
        a, b = tot["exact"][key], tot["sampled"][key]
        assert a > 0, key
        assert abs(b - a) <= 0.05 * a, (key, a, b)
