"""Keyword tables for the ``data_science`` slots (see :mod:`adr_graph.extract.lexicon`).

>>> from adr_graph.extract.lexicon import pick_labels
>>> pick_labels("Perform a t-test and report the p-value.", TASK_GOALS)
['statistical test']
"""

from __future__ import annotations

from collections.abc import Mapping

from adr_graph.extract.lexicon import Lexicon

__all__ = ["API_SCHEMAS", "CATEGORY_GOALS", "DATA_SCHEMAS", "OUTPUT_TYPES", "TASK_GOALS"]

DATA_SCHEMAS: Lexicon = {
    "tabular dataframe": (("dataframe", "table", "column"), ("row",)),
    "time series with datetime index": (
        ("time series", "timestamp", "datetime", "date range", "daily", "monthly", "hourly"),
        ("date",),
    ),
    "numeric array": (
        ("numpy array", "array", "matrix", "vector", "numeric values"),
        ("list of numbers",),
    ),
    "text data": (("text", "sentence", "word", "string", "document", "corpus", "token"), ()),
    "csv file": (("csv",), ()),
    "json data": (("json",), ()),
    "excel file": (("excel", "xlsx", "xls"), ()),
    "random generated data": (("random", "randomly generated", "generate"), ()),
    "image/pixels": (("image", "pixel", "rgb", "grayscale"), ()),
    "dictionary input": (("dictionary", "mapping", "dict"), ()),
    "file system directory": (("directory", "folder", "file path"), ()),
    "database table": (("sqlite", "database", "sql"), ()),
    "web content": (("url", "html", "web page", "webpage", "http"), ()),
}

#: A resolved API prefix that says what shape the input data has.
API_SCHEMAS: tuple[tuple[str, str], ...] = (
    ("pandas.read_csv", "csv file"),
    ("csv.", "csv file"),
    ("pandas.read_json", "json data"),
    ("json.", "json data"),
    ("pandas.read_excel", "excel file"),
    ("openpyxl", "excel file"),
    ("sqlite3", "database table"),
    ("pandas.read_sql", "database table"),
    ("requests", "web content"),
    ("bs4", "web content"),
    ("urllib", "web content"),
    ("PIL", "image/pixels"),
    ("cv2", "image/pixels"),
    ("skimage", "image/pixels"),
    ("os.listdir", "file system directory"),
    ("glob", "file system directory"),
    ("os.walk", "file system directory"),
    ("pandas.date_range", "time series with datetime index"),
    ("pandas.to_datetime", "time series with datetime index"),
    ("pandas.DataFrame.resample", "time series with datetime index"),
    ("re.", "text data"),
    ("nltk", "text data"),
    ("sklearn.feature_extraction.text", "text data"),
    ("numpy.random", "random generated data"),
    ("random.", "random generated data"),
    ("faker", "random generated data"),
)

TASK_GOALS: Lexicon = {
    "statistical test": (
        (
            "t-test",
            "ttest",
            "chi-square",
            "chi2",
            "p-value",
            "pearsonr",
            "spearmanr",
            "anova",
            "f_oneway",
            "shapiro",
            "normaltest",
            "kstest",
            "hypothesis",
            "significan(?:t|ce)",
            "mannwhitneyu",
            "wilcoxon",
        ),
        (),
    ),
    "regression modelling": (
        (
            "linear regression",
            "linearregression",
            "regression",
            "r-squared",
            "r2_score",
            "mean_squared_error",
            "polyfit",
            "ols",
        ),
        ("predict",),
    ),
    "classification modelling": (
        (
            "classifier",
            "classification",
            "logisticregression",
            "randomforestclassifier",
            "accuracy",
            "svc",
            "kneighborsclassifier",
            "confusion matrix",
        ),
        (),
    ),
    "clustering": (("kmeans", "k-means", "cluster", "dbscan", "agglomerativeclustering"), ()),
    "dimensionality reduction": (("pca", "principal component", "tsne", "t-sne"), ()),
    "feature engineering": (
        (
            "standardscaler",
            "minmaxscaler",
            "normali[sz]e",
            "standardi[sz]e",
            "one-hot",
            "labelencoder",
            "encode",
            "get_dummies",
            "z-score",
            "zscore",
            "scal(?:e|ing)",
        ),
        (),
    ),
    "data cleaning": (
        (
            "missing",
            "nan",
            "dropna",
            "fillna",
            "duplicate",
            "drop_duplicates",
            "clean",
            "impute",
            "outlier",
            "null",
        ),
        (),
    ),
    "filtering": (("filter", "select rows", "rows where", "query", "subset"), ()),
    "aggregation": (
        (
            "group",
            "groupby",
            "aggregate",
            "aggregation",
            "pivot",
            "per category",
            "sum of",
            "count of",
            "total",
        ),
        ("count", "sum"),
    ),
    "descriptive statistics": (
        (
            "mean",
            "median",
            "standard deviation",
            "variance",
            "describe",
            "quantile",
            "percentile",
            "statistic",
        ),
        ("average", "mode"),
    ),
    "correlation analysis": (("correlation", "corr", "covariance"), ()),
    "text processing": (
        ("word", "text", "token", "regex", "regular expression", "sentence", "punctuation"),
        ("string",),
    ),
    "time series analysis": (
        (
            "time series",
            "rolling",
            "resample",
            "moving average",
            "seasonal",
            "trend",
            "autocorrelation",
        ),
        ("date",),
    ),
    "visualisation": (
        (
            "plot",
            "histogram",
            "chart",
            "scatter",
            "axes",
            "figure",
            "heatmap",
            "seaborn",
            "bar plot",
            "visuali[sz]",
        ),
        ("bar",),
    ),
    "data generation": (("generate random", "random data", "simulate", "synthetic"), ()),
    "file input/output": (
        ("csv file", "save", "write", "read file", "json file", "excel", "directory"),
        (),
    ),
    "web scraping": (("url", "html", "scrape", "web page", "webpage"), ()),
}

#: DataFrameBench-style ``category`` -> task goal.
CATEGORY_GOALS: Mapping[str, str] = {
    "visualisation": "visualisation",
    "visualization": "visualisation",
    "aggregation": "aggregation",
    "text": "text processing",
    "time-series": "time series analysis",
    "time_series": "time series analysis",
    "file-io": "file input/output",
    "file_io": "file input/output",
    "cleaning": "data cleaning",
    "statistics": "descriptive statistics",
    "filtering": "filtering",
}

#: (regex over a type text, canonical output contract); first match wins.
OUTPUT_TYPES: tuple[tuple[str, str], ...] = (
    (r"dataframe", "pandas dataframe"),
    (r"\bseries\b", "pandas series"),
    (r"axes|\bax\b|axessubplot", "matplotlib axes"),
    (r"figure", "matplotlib figure"),
    (r"facetgrid|pairgrid|jointgrid|clustergrid", "seaborn grid"),
    (r"ndarray|numpy\.array|np\.array|\barray\b", "numpy array"),
    (r"\bdict", "dict"),
    (r"\blist\b|\blist\[", "list"),
    (r"\btuple\b", "tuple"),
    (r"\bset\b", "set"),
    (r"\bstr\b|\bstring\b", "string"),
    (r"\bbool", "boolean"),
    (r"\bint\b|\bfloat\b|float64|int64|\bnumber\b|\bscalar\b|\bnumeric\b", "scalar number"),
    (r"datetime|timestamp", "datetime"),
    (r"model|estimator|regressor|classifier|kmeans|pca", "fitted model"),
    (r"\bnone\b", "none (side effects only)"),
)
