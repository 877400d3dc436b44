"""Canonical URLs: one spelling per page, without tracking parameters."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonical_url"]

# Query parameters that identify a campaign, a click or a share, never the page.
# Matched case-insensitively on the decoded name.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "dclid",  # Google Display
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X/Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "igshid",  # Instagram
        "igsh",
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_ga",  # Google Analytics cross-domain
        "_gl",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "oly_anon_id",  # Omeda
        "oly_enc_id",
        "vero_id",  # Vero
        "vero_conv",
        "rb_clickid",
        "s_cid",  # Adobe
        "ref_src",  # Twitter embeds
        "ref_url",
        "ocid",  # MSN
        "cmpid",  # news sites' campaign ids
        "cmp",  # The Guardian (CMP=share_btn_tw)
        "smid",  # The New York Times share ids
        "smtyp",
        "sr_share",
        "wt.mc_id",  # Webtrends
        "wt.tsrc",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "__twitter")  # Google/Matomo/Piwik campaigns

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(pair: str) -> bool:
    name = unquote(pair.partition("=")[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The canonical form of an http(s) URL, or None when it is not one."""
    if not url:
        return None
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        # w3lib: lower-case scheme and host, IDNA host, normalised percent-encoding,
        # sorted query, no fragment. What it leaves: default ports and tracking.
        parts = urlsplit(canonicalize_url(url))
        host = parts.hostname
        port = parts.port
    except ValueError:  # bad port, bad IPv6 literal, unencodable host
        return None
    if not host:
        return None
    # Credentials never belong in an identity (nor in the output stream).
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))
