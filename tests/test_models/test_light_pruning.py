"""The light models' token-pruning rule on hand-made inputs (spec
uniformer_light.md §2.4-2.5, §2.9): every expected value below is worked
out by hand from the spec's text, for both the package's functions and the
test oracle (tests/reference_light.py)."""
import threading

import pytest
import torch

from mmuniformer.models.arch import resolve_arch
from mmuniformer.models.layers.pruning import (PruningMHRABlock,
                                               merge_dropped, pool_score,
                                               select_tokens, update_score)
from tests import reference_light as R


def resolve_light_arch(arch):
    return resolve_arch(arch, family='light')


SCORE = torch.tensor([[0.1, 0.5, 0.2, 0.9, 0.3]])


@pytest.mark.parametrize('n,ratio,kept', [(5, .5, 2), (7, .5, 3), (1, .5, 0),
                                          (2, .5, 1), (100, .5, 50),
                                          (25, .5, 12), (10, 1., 10),
                                          (9, .3, 2)])
def test_kept_count_is_floor(n, ratio, kept):
    idx, mask = select_tokens(torch.rand(3, n), ratio)
    assert idx.shape == (3, kept)
    assert mask.sum(1).tolist() == [n - kept] * 3


def test_kept_set_is_the_top_scores():
    idx, mask = select_tokens(SCORE, .5)
    assert sorted(idx[0].tolist()) == [1, 3]
    assert mask[0].tolist() == [1, 0, 1, 0, 1]


def test_representative_is_score_weighted_mean():
    tokens = torch.tensor([[[6., 0.], [50., 50.], [0., 6.], [70., 70.],
                            [12., 12.]]])
    score = torch.tensor([[.1, .8, .2, .9, .3]])
    _, mask = select_tokens(score, .5)
    # dropped 0, 2, 4 with weights 1/6, 2/6, 3/6: (1 + 0 + 6, 0 + 2 + 6)
    rep = merge_dropped(tokens, score, mask)
    assert torch.allclose(rep, torch.tensor([[[7., 8.]]]))


def test_score_created_then_blended():
    r = torch.tensor([[.5, .1, .3, .1]])
    assert torch.equal(update_score(None, r, .5), r[:, 1:])
    g = torch.tensor([[.2, .4, .6]])
    # full attention: (1 - t) g + t r[1:]
    expect = torch.tensor([[.5 * .2 + .5 * .1, .5 * .4 + .5 * .3,
                            .5 * .6 + .5 * .1]])
    assert torch.allclose(update_score(g, r, .5), expect)
    assert torch.allclose(update_score(g, r, .25),
                          .75 * g + .25 * r[:, 1:])
    state = {'score': g.clone()}
    R.update_score(state, r, .5)
    assert torch.allclose(state['score'], expect)


def test_pruned_update_touches_kept_tokens_only():
    idx, mask = select_tokens(SCORE, .5)
    # attention row: [cls, kept tokens in idx order, rep]
    r_kept = {3: .2, 1: .3}
    r = torch.tensor([[.4] + [r_kept[int(i)] for i in idx[0]] + [.1]])
    new = update_score(SCORE, r, .5, idx, mask)
    expect = torch.tensor([[.1, .5 * .5 + .5 * .3, .2, .5 * .9 + .5 * .2,
                            .3]])
    assert torch.allclose(new, expect)
    # the oracle on the sorted score: kept first (0.9, 0.5), rep last
    state = {'score': torch.tensor([[.9, .5, .3, .2, .1]])}
    R.update_score(state, torch.tensor([[.4, .2, .3, .1]]), .5)
    assert torch.allclose(state['score'],
                          torch.tensor([[.55, .4, .3, .2, .1]]))


def test_single_dropped_token_takes_the_rep_score():
    """Stages of 2 tokens: g has M - 1 entries, so the rep token's attention
    updates the dropped token's score too (§2.9)."""
    g = torch.tensor([[.1, .6]])
    idx, mask = select_tokens(g, .5)
    r = torch.tensor([[.5, .3, .2]])
    new = update_score(g, r, .5, idx, mask)
    assert torch.allclose(new, torch.tensor([[.05 + .1, .3 + .15]]))
    g1 = torch.tensor([[.7]])  # one token: nothing kept, K = 0
    idx, mask = select_tokens(g1, .5)
    new = update_score(g1, torch.tensor([[.6, .4]]), .5, idx, mask)
    assert torch.allclose(new, torch.tensor([[.55]]))


def test_score_pooling_sums_even_maps():
    g = torch.arange(16.).reshape(1, 16)
    expect = torch.tensor([[10., 18., 42., 50.]])
    assert torch.allclose(pool_score(g, (4, 4)), expect)
    assert torch.allclose(R.pool_score(g, (4, 4)), expect)


@pytest.mark.parametrize('spatial,expect', [
    ((3, 3), [36.]),  # top-left 2x2 mean 2, rescaled to the total 36
    ((3, 5), [3 * 105 / 8, 5 * 105 / 8]),  # means 3, 5; total 105
    ((2, 2, 2), [6., 22.]),  # video: time kept, space pooled
])
def test_score_pooling_rescales_odd_maps(spatial, expect):
    n = 1
    for s in spatial:
        n *= s
    g = torch.arange(float(n)).reshape(1, n)
    assert torch.allclose(pool_score(g, spatial), torch.tensor([expect]))
    assert torch.allclose(R.pool_score(g, spatial), torch.tensor([expect]))


def _block(ndim=2, ratio=.5, seed=0, **kwargs):
    torch.manual_seed(seed)
    block = PruningMHRABlock(ndim, 8, 2, prune_ratio=ratio, trade_off=.5,
                             **kwargs).double().eval()
    for p in block.parameters():
        torch.nn.init.normal_(p, std=.3)
    return block


def test_fast_update_adds_one_vector_to_every_dropped_token():
    block = _block()
    with torch.no_grad():
        block.pos_embed.weight.zero_()
        block.pos_embed.bias.zero_()
        x = torch.randn(1, 8, 3, 4, dtype=torch.double)
        score = torch.rand(1, 12, dtype=torch.double)
        _, y, _ = block(torch.randn(1, 1, 8, dtype=torch.double), x, score)
    idx, mask = select_tokens(score, .5)
    delta = (y - x).flatten(2).transpose(1, 2)[0]
    dropped = delta[mask[0].bool()]
    assert dropped.shape[0] == 6
    assert torch.allclose(dropped, dropped[:1].expand_as(dropped))
    kept = delta[~mask[0].bool()]
    assert not torch.allclose(kept, kept[:1].expand_as(kept))


def test_original_order_restored():
    """Permuting the tokens and their scores permutes the output the same
    way (positions are restored, DPE off)."""
    block = _block()
    with torch.no_grad():
        block.pos_embed.weight.zero_()
        block.pos_embed.bias.zero_()
        x = torch.randn(2, 8, 12, dtype=torch.double)
        score = torch.rand(2, 12, dtype=torch.double)
        cls = torch.randn(2, 1, 8, dtype=torch.double)
        perm = torch.randperm(12)
        c1, y1, g1 = block(cls, x.unsqueeze(-1), score)
        c2, y2, g2 = block(cls, x[:, :, perm].unsqueeze(-1), score[:, perm])
    assert torch.allclose(y1[:, :, perm], y2)
    assert torch.allclose(g1[:, perm], g2)
    assert torch.allclose(c1, c2)


@pytest.mark.parametrize('ndim,spatial,ratio,down', [
    (2, (4, 5), .5, True), (2, (1, 2), .5, False), (3, (2, 3, 3), .5, True),
    (2, (3, 3), 1., False)])
def test_block_matches_sorting_oracle(ndim, spatial, ratio, down):
    block = _block(ndim, ratio, downsample=down)
    with torch.no_grad():
        x = torch.randn(2, 8, *spatial, dtype=torch.double)
        cls = torch.randn(2, 1, 8, dtype=torch.double)
        n = x[0, 0].numel()
        score = torch.rand(2, n, dtype=torch.double)
        c, y, g = block(cls, x, score)
        sd = {'blk.' + k: v for k, v in block.state_dict().items()}
        state = {'score': score.clone()}
        rc, ry = R.evo_block(ndim, cls, x, sd, 'blk.', 2, ratio, .5, state,
                             downsample=down)
    assert torch.allclose(y, ry, atol=1e-12)
    assert torch.allclose(c, rc, atol=1e-12)
    assert torch.allclose(g, state['score'], atol=1e-12)


def test_arch_rules():
    cfg = resolve_light_arch('xxs')
    assert cfg['prune_ratio'] == ((1., ) + (.5, ) * 7, (.5, .5))
    assert cfg['trade_off'] == cfg['prune_ratio']
    assert resolve_light_arch('xs')['prune_ratio'][0] == (1., ) + (.5, ) * 8
    # extra entries are ignored, as in the official video yamls (8 + 3)
    custom = dict(resolve_light_arch('xxs'), layer_scale=None)
    custom['prune_ratio'] = ([1.] + [.5] * 7, [.5] * 3)
    custom.pop('trade_off')
    assert resolve_light_arch(custom)['prune_ratio'][1] == (.5, .5)
    with pytest.raises(ValueError, match='block 0'):
        resolve_light_arch(dict(custom, prune_ratio=([.5] * 8, [.5] * 2)))
    with pytest.raises(ValueError, match='pools the'):
        resolve_light_arch(dict(custom, prune_ratio=([1.] * 8, [.5] * 2)))
    with pytest.raises(ValueError, match='entries'):
        resolve_light_arch(dict(custom, prune_ratio=([1.] * 3, [.5] * 2)))
    resolve_light_arch(dict(custom, prune_ratio=([1.] * 8, [1.] * 2)))


def test_interleaved_forwards_do_not_share_state():
    """Pruning state lives in the call: threads running one model on
    different inputs get the sequential results."""
    from mmuniformer.models import UniFormerLight
    torch.manual_seed(0)
    model = UniFormerLight(arch=dict(depths=(1, 1, 3, 2),
                                     embed_dims=(8, 16, 32, 64),
                                     head_dim=16)).eval()
    inputs = [torch.randn(1, 3, s, s) for s in (64, 96, 80)]
    with torch.no_grad():
        expect = [model(x)[3] for x in inputs]
    results = [None] * len(inputs)

    def run(i):
        with torch.no_grad():
            for _ in range(2):
                results[i] = model(inputs[i])[3]

    threads = [threading.Thread(target=run, args=(i, ))
               for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expect):
        assert torch.equal(got, want)
