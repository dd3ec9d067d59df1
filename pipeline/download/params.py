"""The ``data`` section of params.yaml: where the archive comes from and the md5 it must have.

The download stage reads this section itself rather than getting it on its command line: a value
spliced into a shell command would run ``$(…)`` and backticks, and mangle a legitimate ``$`` or
quote. The URL's form is checked here, so ``check_params`` reports a typo before any stage runs.
"""

import re
from typing import Annotated
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from pipeline.common.settings import Section

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
SCHEMES = ("http", "https", "file")


def _http_problem(parts: SplitResult) -> str | None:
    """What is wrong with an http(s) URL's characters, host and port, or None."""
    if re.search(r"[\x00-\x20\x7f]", parts.geturl()):
        return "contains a space or control character (percent-encode it, e.g. %20)"
    if not parts.hostname:
        return "has no host (http://HOST/PATH)"
    try:
        port = parts.port
    except ValueError:  # "80a", 99999
        port = 0
    if port == 0:
        return f"has port {parts.netloc.rpartition(':')[2]!r}, not a number from 1 to 65535"
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot name the archive (``http(s)://``, ``file://`` or a plain path), or None."""
    if not url.strip():
        return "is empty"
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1/x": the only form urllib refuses to split
        return "has an IPv6 host whose brackets are not closed (http://[::1]:PORT/PATH)"
    if parts.scheme and parts.scheme not in SCHEMES:
        return f"has scheme {parts.scheme!r}; use http://, https://, file:// or a plain path"
    if parts.scheme == "file" and parts.netloc not in ("", "localhost"):
        return f"names host {parts.netloc!r}; a file URL is file:///ABSOLUTE/PATH"
    if parts.scheme in ("http", "https"):
        return _http_problem(parts)
    return None


def _check_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise PydanticCustomError(
            "url", "the URL {problem}; fix data.url in params.yaml", {"problem": problem}
        )
    return url


def _check_md5(md5: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}", md5):
        raise PydanticCustomError("md5", "not an md5 (32 lowercase hex digits); fix it in params.yaml")
    return md5


class DataParams(Section):
    url: Annotated[str, AfterValidator(_check_url)] = OFFICIAL_URL
    md5: Annotated[str, AfterValidator(_check_md5)] = OFFICIAL_MD5
