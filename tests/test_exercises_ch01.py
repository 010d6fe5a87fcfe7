import numpy as np

from vaebook.exercises import check_pca_reconstruction, pca_reconstruction_reference


def correct(x_train, x, k):
    mean = x_train.mean(axis=0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    return mean + (x - mean) @ vt[:k].T @ vt[:k]


def test_correct_solution_passes():
    report = check_pca_reconstruction(correct)
    assert report, str(report)


def test_reference_matches_sklearn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 5)), rng.normal(size=(7, 5))
    pca = PCA(2).fit(a)
    np.testing.assert_allclose(
        pca_reconstruction_reference(a, b, 2), pca.inverse_transform(pca.transform(b)), atol=1e-10
    )


def test_forgetting_the_mean_is_explained():
    report = check_pca_reconstruction(lambda xt, x, k: correct(xt, x, k) - xt.mean(0))
    assert not report and "add the mean back" in str(report)


def test_wrong_data_is_explained():
    report = check_pca_reconstruction(lambda xt, x, k: correct(x, x, k))
    assert not report and "not on x_train" in str(report)


def test_off_by_one_components_is_explained():
    report = check_pca_reconstruction(lambda xt, x, k: correct(xt, x, min(k + 1, 6)))
    assert not report and "components instead of" in str(report)


def test_broken_code_is_survived():
    def broken(xt, x, k):
        raise NotImplementedError("write me")

    report = check_pca_reconstruction(broken)
    assert not report and "NotImplementedError" in str(report)


def test_uncentred_pca_fails():
    def uncentred(xt, x, k):
        _, _, vt = np.linalg.svd(xt, full_matrices=False)
        return x @ vt[:k].T @ vt[:k]

    assert not check_pca_reconstruction(uncentred)


def _components(x, fraction, centre=True, offset=1):
    ev = np.linalg.svd(x - x.mean(0) if centre else x, compute_uv=False) ** 2
    return int(np.argmax(np.cumsum(ev) / ev.sum() >= fraction - 1e-12)) + offset


def test_components_for_variance_accepts_a_correct_answer_and_explains_mistakes():
    from vaebook.exercises import check_components_for_variance

    assert check_components_for_variance(_components)
    not_centred = check_components_for_variance(lambda x, f: _components(x, f, centre=False))
    assert not not_centred and "centre the data first" in str(not_centred)
    off = check_components_for_variance(lambda x, f: _components(x, f, offset=0))
    assert not off and "off by one" in str(off)
    assert not check_components_for_variance(lambda x, f: [1, 2])
