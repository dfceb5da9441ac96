"""Terraform provider source addresses: parsing and normalisation.

Follows Terraform v1.11 (``addrs.ParseProviderSourceString`` over
hashicorp/terraform-registry-address v0.2.3 and hashicorp/terraform-svchost):

* ``[HOSTNAME/][NAMESPACE/]TYPE``; the hostname defaults to ``registry.terraform.io`` and an
  omitted namespace to ``hashicorp`` (so ``source = "terraform"`` means
  ``registry.terraform.io/hashicorp/terraform``, as Terraform v1.11 resolves it);
* the hostname goes through ``svchost.ForComparison``: IDNA ``ToASCII`` (lower-cased),
  user-supplied punycode (``xn--``) rejected, ``:443`` dropped, other ports normalised;
* namespace and type follow ``ParseProviderPart``: no dots, no ``--``, IDNA label rules
  (letters, digits, dashes; no leading/trailing dash; underscores rejected), lower-cased;
* a type may not start with ``terraform-``; the legacy namespace ``-`` is only valid on the
  default registry host.

:class:`~depguard.model.ProviderAddress` stores the comparison form (ASCII hostname);
:func:`format_provider_address` gives Terraform's ``String()`` form (Unicode hostname), which
is what lock files contain. Implied providers (a local name without ``required_providers``
entry) go through :func:`implied_provider`, where ``terraform`` is the built-in provider.
"""

from __future__ import annotations

import re
from functools import lru_cache

import idna

from depguard.model import BUILTIN_PROVIDER_HOST, DEFAULT_REGISTRY_HOST, ProviderAddress

__all__ = [
    "format_provider_address",
    "hostname_for_display",
    "implied_provider",
    "normalize_hostname",
    "parse_lock_label",
    "parse_provider_part",
    "parse_provider_source",
]

LEGACY_NAMESPACE = "-"
_SOURCE_FORMAT = 'The "source" attribute must be in the format "[hostname/][namespace/]name"'
_PART_RULES = (
    "must contain only letters, digits, and dashes, and may not use leading or trailing dashes"
)
_ASCII_PART_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", re.ASCII)
_ASCII_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", re.ASCII)
_PORT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)  # Go strconv.Atoi accepts a sign


def _q(s: str) -> str:
    """Quote like Go's ``%q`` for the messages (double quotes)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=1024)
def parse_provider_part(given: str) -> str:
    """Normalise a namespace or type like ``ParseProviderPart`` (registry-address v0.2.3).

    Returns the lower-cased (IDNA-mapped) part; raises ``ValueError`` with Terraform's
    reason text.
    """
    if not given:
        raise ValueError("must have at least one character")
    if "." in given:
        raise ValueError("dots are not allowed")
    # Also rules out user-supplied punycode ("xn--"), which the IDNA library would decode.
    if "--" in given:
        raise ValueError("cannot use multiple consecutive dashes")
    if given.isascii():
        low = given.lower()
        if _ASCII_PART_RE.fullmatch(low):
            return low
        raise ValueError(_PART_RULES)
    try:
        # idna.Lookup.ToUnicode: UTS-46 mapping (case folding, NFC) plus STD3 label rules.
        return str(idna.decode(idna.encode(given, uts46=True, std3_rules=True)))
    except (idna.IDNAError, UnicodeError, ValueError):
        raise ValueError(_PART_RULES) from None


def _normalize_port(port: str) -> str:
    # svchost.normalizePortPortion: decimal number, ":443" is the default and is dropped.
    if not _PORT_RE.fullmatch(port):
        raise ValueError("port portion contains non-digit characters")
    num = int(port)
    if num == 443:
        return ""
    if num > 65535:
        raise ValueError("port number is greater than 65535")
    return f":{num}"


@lru_cache(maxsize=1024)
def normalize_hostname(given: str) -> str:
    """Return the comparison form of a hostname (``svchost.ForComparison``).

    IDNA ``ToASCII`` with lower-casing; user-supplied punycode labels, empty labels and
    invalid ports are rejected; ``:443`` is dropped. Raises ``ValueError``.
    """
    host, sep, port = given.partition(":")
    port_part = _normalize_port(port) if sep else ""
    if not host:
        raise ValueError("empty string is not a valid hostname")
    labels = host.split(".")
    if labels and labels[-1] == "":
        labels = labels[:-1]  # a trailing dot is kept, like svchost's label iterator allows
    for label in labels:
        if not label:
            raise ValueError("hostname contains empty label (two consecutive periods)")
        if label.lower().startswith("xn--"):
            raise ValueError(
                f"hostname label {_q(label)} specified in punycode format; "
                "service hostnames must be given in unicode"
            )
    if host.isascii():
        low = host.lower()
        for label in labels:
            lab = label.lower()
            # UTS-46 CheckHyphens: no leading/trailing dash, no "--" in positions 3-4.
            if not _ASCII_LABEL_RE.fullmatch(lab) or lab[2:4] == "--":
                bad = next((c for c in lab if not (c.isalnum() or c == "-")), None)
                if bad is not None:
                    raise ValueError(f"idna: disallowed rune U+{ord(bad):04X}")
                raise ValueError(f"idna: invalid label {_q(label)}")
        return low + port_part
    try:
        ascii_host = idna.encode(host, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as e:
        raise ValueError(f"idna: {e}") from None
    return ascii_host + port_part


@lru_cache(maxsize=1024)
def hostname_for_display(hostname: str) -> str:
    """Return the display form of a comparison-form hostname (punycode back to Unicode)."""
    host, sep, port = hostname.partition(":")
    if "xn--" not in host:
        return hostname
    try:
        return str(idna.decode(host)) + sep + port
    except (idna.IDNAError, UnicodeError, ValueError):
        return hostname


def format_provider_address(address: ProviderAddress) -> str:
    """Return Terraform's ``Provider.String()``: ``hostname/namespace/type``, Unicode hostname.

    This is the label of a provider block in ``.terraform.lock.hcl``.
    """
    return f"{hostname_for_display(address.hostname)}/{address.namespace}/{address.type}"


@lru_cache(maxsize=1024)
def parse_provider_source(text: str) -> ProviderAddress:
    """Parse a ``required_providers`` ``source`` string into a normalised address.

    Returns the :class:`~depguard.model.ProviderAddress` (comparison form). Raises
    ``ValueError`` with a Terraform-like "Summary: detail" message.
    """
    parts = text.split("/")
    if len(parts) > 3 or any(p == "" for p in parts):
        raise ValueError(f"Invalid provider source string: {_SOURCE_FORMAT}")
    given_type = parts[-1]
    try:
        type_ = parse_provider_part(given_type)
    except ValueError as e:
        raise ValueError(
            f"Invalid provider type: Invalid provider type {_q(given_type)} "
            f"in source {_q(text)}: {e}"
        ) from None
    namespace = "hashicorp"  # addrs.ParseProviderSourceString: unknown namespace -> hashicorp
    if len(parts) >= 2:
        given_ns = parts[-2]
        if given_ns == LEGACY_NAMESPACE:
            namespace = LEGACY_NAMESPACE
        else:
            try:
                namespace = parse_provider_part(given_ns)
            except ValueError as e:
                raise ValueError(
                    f"Invalid provider namespace: Invalid provider namespace {_q(given_ns)} "
                    f"in source {_q(text)}: {e}"
                ) from None
    hostname = DEFAULT_REGISTRY_HOST
    if len(parts) == 3:
        try:
            hostname = normalize_hostname(parts[0])
        except ValueError as e:
            raise ValueError(
                f"Invalid provider source hostname: Invalid provider source hostname "
                f"{_q(parts[0])} in source {_q(text)}: {e}"
            ) from None
    if namespace == LEGACY_NAMESPACE and hostname != DEFAULT_REGISTRY_HOST:
        raise ValueError(
            'Invalid provider namespace: The legacy provider namespace "-" can be used only '
            f"with hostname {DEFAULT_REGISTRY_HOST}."
        )
    address = ProviderAddress(hostname, namespace, type_)
    if type_.startswith("terraform-"):
        shown = _for_display(address)
        suggested = type_[len("terraform-provider-") :]
        if type_.startswith("terraform-provider-") and _is_valid_part(suggested):
            raise ValueError(
                f'Invalid provider type: Provider source "{shown}" has a type with the prefix '
                '"terraform-provider-", which isn\'t valid. Although that prefix is often used '
                "in the names of version control repositories for Terraform providers, "
                "provider source strings should not include it. Did you mean "
                f'"{_for_display(ProviderAddress(hostname, namespace, suggested))}"?'
            )
        raise ValueError(
            f'Invalid provider type: Provider source "{format_provider_address(address)}" has '
            'a type with the prefix "terraform-", which isn\'t allowed because it would be '
            "redundant to name a Terraform provider with that prefix. If you are the author "
            "of this provider, rename it to not include the prefix."
        )
    return address


def _is_valid_part(part: str) -> bool:
    try:
        parse_provider_part(part)
    except ValueError:
        return False
    return True


def _for_display(address: ProviderAddress) -> str:
    # tfaddr.Provider.ForDisplay: the default registry host is omitted.
    if address.hostname == DEFAULT_REGISTRY_HOST:
        return f"{address.namespace}/{address.type}"
    return format_provider_address(address)


@lru_cache(maxsize=1024)
def parse_lock_label(text: str) -> ProviderAddress:
    """Parse the label of a lock-file ``provider`` block as ``depsfile`` does.

    The label must be a valid source address, lockable (not built-in, not legacy) and already
    in the fully-qualified normalised form Terraform writes. Returns the address; raises
    ``ValueError`` with Terraform's "Summary: detail" message.
    """
    try:
        address = parse_provider_source(text)
    except ValueError:
        raise ValueError(
            "Invalid provider source address: The provider source address for a provider "
            'lock must be a valid, fully-qualified address of the form "hostname/namespace/type".'
        ) from None
    if address.is_builtin:
        raise ValueError(
            f"Invalid provider source address: Cannot lock a version for built-in provider "
            f"{format_provider_address(address)}. Built-in providers are bundled inside "
            "Terraform itself, so you can't select a version for them independently of the "
            "Terraform release you are currently running."
        )
    if address.is_legacy:
        raise ValueError(
            f"Invalid provider source address: Provider source address "
            f"{format_provider_address(address)} is a special provider that is not eligible "
            "for dependency locking."
        )
    canonical = format_provider_address(address)
    if canonical != text:
        raise ValueError(
            "Non-normalized provider source address: The provider source address for this "
            f'provider lock must be written as "{canonical}", the fully-qualified and '
            "normalized form."
        )
    return address


@lru_cache(maxsize=1024)
def implied_provider(local_name: str) -> ProviderAddress:
    """Return the provider Terraform v1.11 implies for a local name with no requirement entry.

    ``addrs.ImpliedProviderForUnqualifiedType``: ``terraform`` is the built-in provider
    ``terraform.io/builtin/terraform``; any other name is ``registry.terraform.io/hashicorp/
    <name>``. Raises ``ValueError`` when the name is not a valid provider type.
    """
    type_ = parse_provider_part(local_name)
    if type_ == "terraform":
        return ProviderAddress(BUILTIN_PROVIDER_HOST, "builtin", "terraform")
    return ProviderAddress(DEFAULT_REGISTRY_HOST, "hashicorp", type_)
