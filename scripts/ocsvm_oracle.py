#!/usr/bin/env python3
"""scikit-learn's OneClassSVM on fixed data, the oracle of package ood/ocsvm's tests.

Usage: ocsvm_oracle.py IN.json

IN.json holds {"sets": [{"x": [[...], ...], "query": [[...], ...], "nus": [0.05, ...]}, ...]}.
For each set and each nu the script fits
sklearn.svm.OneClassSVM(kernel="rbf", nu=nu, gamma="scale") on x (tol and shrinking at their
defaults, 1e-3 and on) and prints one JSON object on standard output:
{"sklearn": VERSION, "sets": [[{"nu", "gamma", "rho", "n_support", "support", "dual_coef",
"decision_x", "decision_query"}, ...], ...]}, where gamma is the value "scale" resolves to
(1 / (n_features * X.var()), 1 when that variance is 0), rho is offset_ (LIBSVM's rho) and the
decisions are decision_function's values at x and at query. Needs Debian's python3-sklearn.
"""

import json
import sys

import numpy as np
import sklearn
from sklearn.svm import OneClassSVM


def fit(x, query, nu):
    svm = OneClassSVM(kernel="rbf", nu=nu, gamma="scale").fit(x)
    var = x.var()
    return {
        "nu": nu,
        "gamma": 1.0 / (x.shape[1] * var) if var != 0 else 1.0,
        "rho": float(svm.offset_[0]),
        "n_support": int(svm.support_.shape[0]),
        "support": svm.support_.tolist(),
        "dual_coef": svm.dual_coef_.ravel().tolist(),
        "decision_x": svm.decision_function(x).tolist(),
        "decision_query": svm.decision_function(query).tolist() if len(query) else [],
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    out = []
    for s in spec["sets"]:
        x = np.asarray(s["x"], dtype=np.float64)
        query = np.asarray(s.get("query") or np.zeros((0, x.shape[1])), dtype=np.float64)
        out.append([fit(x, query, nu) for nu in s["nus"]])
    json.dump({"sklearn": sklearn.__version__, "sets": out}, sys.stdout)


if __name__ == "__main__":
    main()
