"""Real HTTPS servers on 127.0.0.1 for integration tests (CONVENTIONS §10).

* :class:`TLSMaterial` — a throwaway ``trustme`` CA and a server certificate for ``localhost``
  and ``127.0.0.1``; ``ca_pem`` is a file to point ``SSL_CERT_FILE`` at (depguard and the real
  ``terraform`` binary both honour it).
* :class:`HttpsServer` — stdlib ``http.server`` + ``ssl`` in a background thread on an ephemeral
  port. Static directories (:meth:`serve_dir`), programmable routes (:meth:`route`) and fault
  helpers: :meth:`delay`, :meth:`truncate`, :meth:`huge`, :meth:`fail_times`, :meth:`redirect`,
  and, wrapping whatever a path would otherwise answer (:meth:`mangle`): :meth:`reset`,
  :meth:`cut_body`, :meth:`misdeclare_length`, :meth:`oversize`, :meth:`drip`,
  :meth:`redirect_loop`. Every request is recorded (``requests``) so tests can assert on
  headers; :meth:`wait_for_request` waits for one to arrive.
* :class:`RegistryBuilder` — a provider registry (service discovery, versions, download JSON,
  zips, SHA256SUMS and signature) generated from what tests publish with :meth:`add_provider`.
* :class:`MirrorBuilder` — a provider network mirror (``index.json``, ``<version>.json``).

Nothing here talks to anything but loopback. Servers stop when :meth:`HttpsServer.stop` runs
(the fixtures in :mod:`tests.support.fixtures` do it at teardown).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import trustme

from depguard.model import ProviderAddress

# --- TLS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSMaterial:
    """A test CA and the server certificate it issued (SANs ``localhost``, ``127.0.0.1``)."""

    ca: trustme.CA
    ca_pem: Path
    cert: trustme.LeafCert

    @classmethod
    def create(cls, directory: Path) -> TLSMaterial:
        """Make a new CA and certificate; write the CA PEM to ``directory/ca.pem``."""
        ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        directory.mkdir(parents=True, exist_ok=True)
        ca_pem = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_pem))
        return cls(ca=ca, ca_pem=ca_pem, cert=cert)

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx


# --- requests and replies ----------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received (header names lower-cased)."""

    method: str
    path: str
    headers: Mapping[str, str]


@dataclass
class Reply:
    """What a route answers. Fault knobs:

    ``delay``: seconds to wait before the status line (client read timeout);
    ``body_delay``: seconds to wait after the headers, before the body;
    ``content_length``: the declared length when it should differ from ``len(body)``
    (declare more than is sent → truncated body); ``None`` = the real length;
    ``omit_length``: send no Content-Length (close-delimited body);
    ``stream_zeros``: after ``body``, stream this many zero bytes (huge bodies);
    ``etag``: answer 304 when the request's If-None-Match equals it;
    ``trickle``: send the body one byte at a time, this many seconds apart (deadlines);
    ``trickle_for``: stop trickling after this many seconds and send the rest at once (so a
    test that expects the client to give up earlier stays bounded when it does not);
    ``reset_before_status``: read the request, then reset the connection (TCP RST, no TLS
    close_notify) without sending a status line;
    ``reset_after``: send the headers and this many body bytes, wait 0.2 s (the client reads
    them), then reset the connection.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/octet-stream"
    delay: float = 0.0
    body_delay: float = 0.0
    content_length: int | None = None
    omit_length: bool = False
    stream_zeros: int = 0
    etag: str | None = None
    trickle: float = 0.0
    trickle_for: float | None = None
    reset_before_status: bool = False
    reset_after: int | None = None


def json_reply(obj: Any, *, status: int = 200, content_type: str = "application/json") -> Reply:
    """A JSON reply (pretty-printed like static registries)."""
    return Reply(status=status, body=json.dumps(obj, indent=2).encode(), content_type=content_type)


Handler = Reply | Callable[[RecordedRequest], Reply | None]


@dataclass
class _Route:
    handler: Handler
    prefix: bool
    remaining: int | None  # None = forever


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def _handle(self, *, head: bool) -> None:
        owner = self.server.owner
        req = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        owner._record(req)
        reply = owner._dispatch(req)
        if reply is None:
            reply = Reply(status=404, body=b"not found\n", content_type="text/plain")
        # The client may go away (timeouts, size limits): expected in fault tests.
        with contextlib.suppress(OSError, ssl.SSLError):
            self._send(req, reply, head=head)

    def _send(self, req: RecordedRequest, reply: Reply, *, head: bool) -> None:
        stop = self.server.owner._stopping
        if reply.delay and stop.wait(reply.delay):
            return
        if reply.reset_before_status:
            self._reset()
            return
        if reply.etag is not None and req.headers.get("if-none-match") == reply.etag:
            self.send_response(304)
            self.send_header("ETag", reply.etag)
            self.end_headers()
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        if reply.etag is not None:
            self.send_header("ETag", reply.etag)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if not reply.omit_length:
            length = reply.content_length
            if length is None:
                length = len(reply.body) + reply.stream_zeros
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if head:
            return
        self.wfile.flush()
        if reply.body_delay and stop.wait(reply.body_delay):
            return
        if reply.reset_after is not None:
            self.wfile.write(reply.body[: reply.reset_after])
            self.wfile.flush()
            # Let the client read what was sent first: a RST discards unread data, and the
            # fault is "reset while reading the body", not "no response".
            stop.wait(0.2)
            self._reset()
            return
        if reply.trickle:
            started = time.monotonic()
            for i in range(len(reply.body)):
                if reply.trickle_for is not None and time.monotonic() - started > reply.trickle_for:
                    self.wfile.write(reply.body[i:])
                    break
                self.wfile.write(reply.body[i : i + 1])
                self.wfile.flush()
                if stop.wait(reply.trickle):
                    return
        else:
            self.wfile.write(reply.body)
        left = reply.stream_zeros
        chunk = b"\0" * 65536
        while left > 0 and not stop.is_set():
            n = min(left, len(chunk))
            self.wfile.write(chunk[:n])
            left -= n
        self.wfile.flush()
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0, no TLS close_notify)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            # Close the descriptor itself: the handler's rfile would otherwise keep it open
            # until the request finishes, and the server would then shut it down cleanly.
            os.close(self.connection.detach())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of parallel clients (benchmarks) without SYN drops

    def __init__(self, owner: HttpsServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # broken connections are part of the fault tests; keep stderr quiet


class HttpsServer:
    """An HTTPS server on 127.0.0.1 with static files, routes and fault injection."""

    def __init__(self, tls: TLSMaterial) -> None:
        self.tls = tls
        self.requests: list[RecordedRequest] = []
        self._routes: list[tuple[str, _Route]] = []
        self._dirs: list[tuple[str, Path]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(self)
        ctx = tls.server_context()
        # Handshake lazily in the handler thread, so one stuck client cannot block accept().
        self._httpd.socket = ctx.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> HttpsServer:
        """Start serving in a daemon thread; returns ``self``."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> HttpsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``localhost:PORT`` — matches the certificate and Terraform's hostname rules."""
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        """``https://localhost:PORT`` (no trailing slash)."""
        return f"https://{self.host}"

    def url_for(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.url + (path if path.startswith("/") else "/" + path)

    # --- configuration ---------------------------------------------------------------------

    def route(
        self, path: str, handler: Handler, *, prefix: bool = False, times: int | None = None
    ) -> None:
        """Answer ``path`` (or every path under it when ``prefix``) with ``handler``.

        A handler is a :class:`Reply` or a callable returning one (``None`` = fall through to
        the next match). ``times`` limits how often the route answers before falling through,
        so ``fail_times`` then static content models "500, then 200". Exact routes beat
        prefixes, longer prefixes beat shorter ones, and newer routes beat older ones.
        """
        with self._lock:
            self._routes.append((path, _Route(handler, prefix, times)))

    def serve_dir(self, root: Path, prefix: str = "/") -> None:
        """Serve files under ``root`` at ``prefix``; a directory (or trailing ``/``) serves its
        ``index.json``; ``X`` is served from ``X.json`` when only that exists. JSON is served as
        ``application/json``; every file carries an ETag and honours If-None-Match."""
        if not prefix.endswith("/"):
            prefix += "/"
        with self._lock:
            self._dirs.append((prefix, Path(root)))

    def delay(self, path: str, seconds: float, *, body: bytes = b"{}") -> None:
        """Wait ``seconds`` before answering ``path`` (client timeouts)."""
        self.route(path, Reply(body=body, delay=seconds, content_type="application/json"))

    def truncate(self, path: str, body: bytes, *, declared: int | None = None) -> None:
        """Declare ``declared`` (default ``len(body)+100``) bytes, send ``body``, then close."""
        self.route(
            path,
            Reply(
                body=body,
                content_length=len(body) + 100 if declared is None else declared,
                content_type="application/json",
            ),
        )

    def huge(self, path: str, size: int, *, declare: bool = True) -> None:
        """Answer with ``size`` zero bytes, with (``declare``) or without a Content-Length."""
        self.route(path, Reply(stream_zeros=size, omit_length=not declare))

    def fail_times(
        self, path: str, n: int, *, status: int = 500, retry_after: str | None = None
    ) -> None:
        """Answer ``status`` for the first ``n`` requests of ``path``, then fall through."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.route(
            path,
            Reply(status=status, body=b"try again\n", headers=headers, content_type="text/plain"),
            times=n,
        )

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """Redirect ``path`` to ``location`` (another host, an http: URL, …)."""
        self.route(path, Reply(status=status, headers={"Location": location}, content_type=None))

    # --- faults over what a path would otherwise answer -------------------------------------

    def mangle(
        self,
        path: str,
        transform: Callable[[Reply], Reply],
        *,
        prefix: bool = False,
        times: int | None = None,
    ) -> None:
        """Answer ``path`` with ``transform(reply)``, where ``reply`` is what the server would
        answer without this route (a registry's file, a static file, another route). Paths
        that would be 404 stay 404. ``times``: like :meth:`route` (then the real answer)."""
        holder: list[_Route] = []

        def handler(req: RecordedRequest) -> Reply | None:
            inner = self._dispatch(req, exclude=holder[0])
            return None if inner is None else transform(inner)

        route = _Route(handler, prefix, times)
        holder.append(route)
        with self._lock:
            self._routes.append((path, route))

    def reset(self, path: str, *, after: int | None = None, times: int | None = None) -> None:
        """Reset the connection (TCP RST): before the status line, or after the headers and
        ``after`` body bytes."""
        if after is None:
            self.mangle(path, lambda r: replace(r, reset_before_status=True), times=times)
        else:
            self.mangle(path, lambda r: replace(r, reset_after=after), times=times)

    def cut_body(self, path: str, *, keep: float = 0.5, times: int | None = None) -> None:
        """Declare the real Content-Length, send only the first ``keep`` of the body, then
        close the connection (a truncated body that looks right until it ends)."""

        def cut(r: Reply) -> Reply:
            return replace(r, body=r.body[: int(len(r.body) * keep)], content_length=len(r.body))

        self.mangle(path, cut, times=times)

    def misdeclare_length(self, path: str, delta: int, *, times: int | None = None) -> None:
        """Send the whole body but declare ``len(body) + delta`` bytes (``delta < 0``: the
        body is longer than declared; ``> 0``: shorter, then the connection closes)."""
        self.mangle(path, lambda r: replace(r, content_length=len(r.body) + delta), times=times)

    def oversize(
        self, path: str, extra: int, *, declare: bool = True, times: int | None = None
    ) -> None:
        """Append ``extra`` zero bytes to the real body, with (``declare``) or without a
        Content-Length."""
        self.mangle(
            path, lambda r: replace(r, stream_zeros=extra, omit_length=not declare), times=times
        )

    def drip(
        self,
        path: str,
        interval: float,
        *,
        for_seconds: float | None = None,
        times: int | None = None,
    ) -> None:
        """Send the real body one byte every ``interval`` seconds (for at most
        ``for_seconds``, then the rest at once; ``None`` = until done or the server stops)."""
        self.mangle(
            path, lambda r: replace(r, trickle=interval, trickle_for=for_seconds), times=times
        )

    def redirect_loop(self, path: str) -> None:
        """Redirect ``path`` to ``path?hop=1``, that to ``?hop=2``, … forever (each hop a
        new URL, so only a hop limit ends it)."""

        def hop(req: RecordedRequest) -> Reply:
            query = urlsplit(req.path).query
            n = int(query.split("=", 1)[1]) + 1 if query.startswith("hop=") else 1
            return Reply(status=302, headers={"Location": f"{path}?hop={n}"}, content_type=None)

        self.route(path, hop)

    def wait_for_request(self, path: str, timeout: float = 10.0) -> bool:
        """Wait until a request for ``path`` (query ignored) has arrived; ``False`` on
        timeout."""
        return wait_for(lambda: bool(self.requests_for(path)), timeout)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for ``path`` (query string ignored)."""
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    # --- internals -------------------------------------------------------------------------

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _dispatch(self, req: RecordedRequest, *, exclude: _Route | None = None) -> Reply | None:
        path = unquote(urlsplit(req.path).path)
        with self._lock:
            candidates = sorted(
                (
                    (p, i, r)
                    for i, (p, r) in enumerate(self._routes)
                    if (p == path or (r.prefix and path.startswith(p)))
                    and (r.remaining is None or r.remaining > 0)
                    and r is not exclude
                ),
                key=lambda pir: (pir[0] != path, -len(pir[0]), -pir[1]),
            )
        for _p, _i, r in candidates:
            reply = r.handler if isinstance(r.handler, Reply) else r.handler(req)
            if reply is None:
                continue
            with self._lock:
                if r.remaining is not None:
                    r.remaining -= 1
            return reply
        return self._static(path)

    def _static(self, path: str) -> Reply | None:
        with self._lock:
            dirs = list(self._dirs)
        for prefix, root in dirs:
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix) :]
            parts = [p for p in rel.split("/") if p]
            if any(p in (".", "..") for p in parts):
                return Reply(status=400, body=b"bad path\n", content_type="text/plain")
            target = root.joinpath(*parts)
            candidates = [target / "index.json"] if rel.endswith("/") or not parts else []
            candidates += [target, target / "index.json", target.with_name(target.name + ".json")]
            for cand in candidates:
                if cand.is_file():
                    body = cand.read_bytes()
                    ctype = (
                        "application/json"
                        if cand.suffix == ".json"
                        else mimetypes.guess_type(cand.name)[0] or "application/octet-stream"
                    )
                    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                    return Reply(body=body, content_type=ctype, etag=etag)
        return None


# --- provider registry -------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_shasums(files: Mapping[str, bytes]) -> bytes:
    """A SHA256SUMS document like goreleaser's: ``<hex>␠␠<name>\\n``, sorted by name."""
    return "".join(f"{sha256_hex(files[n])}  {n}\n" for n in sorted(files)).encode()


@dataclass
class _Published:
    namespace: str
    type: str
    version: str
    zips: dict[str, bytes]  # "os_arch" -> zip bytes
    shasums: bytes
    sig: bytes
    signing_keys: list[dict[str, Any]]
    protocols: tuple[str, ...]
    extra_files: dict[str, bytes]
    download_overrides: dict[str, dict[str, Any]]


class RegistryBuilder:
    """A provider registry served by ``server``; publish providers with :meth:`add_provider`.

    Routes: ``/.well-known/terraform.json`` (``{"providers.v1": providers_path}``),
    ``<providers_path><ns>/<type>/versions``, ``…/<version>/download/<os>/<arch>`` and the
    files at ``/dl/<ns>/<type>/<version>/<filename>``. The download JSON is generated from the
    zips (``shasum`` = their sha256) with absolute URLs on this server, like the public
    registry.
    """

    def __init__(self, server: HttpsServer, *, providers_path: str = "/v1/providers/") -> None:
        self.server = server
        self.providers_path = providers_path
        self._published: dict[tuple[str, str, str], _Published] = {}
        self._lock = threading.Lock()
        server.route(
            "/.well-known/terraform.json", lambda _r: json_reply({"providers.v1": providers_path})
        )
        server.route(providers_path, self._api, prefix=True)
        server.route("/dl/", self._files, prefix=True)

    @property
    def hostname(self) -> str:
        """``localhost:PORT`` — the hostname part of provider addresses on this registry."""
        return self.server.host

    def address(self, namespace: str, type_: str) -> ProviderAddress:
        """The :class:`ProviderAddress` of a provider published here."""
        return ProviderAddress(self.hostname, namespace, type_)

    def add_provider(
        self,
        namespace: str,
        type_: str,
        version: str,
        platform_zips: Mapping[str, bytes],
        shasums: bytes,
        sig: bytes,
        signing_keys: Sequence[Mapping[str, Any]],
        *,
        protocols: Sequence[str] = ("5.0",),
        extra_files: Mapping[str, bytes] | None = None,
        download_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Publish ``namespace/type_`` ``version``.

        ``platform_zips`` maps ``"os_arch"`` to the zip bytes (served as
        ``terraform-provider-TYPE_VERSION_OS_ARCH.zip``); ``shasums``/``sig`` are served as
        ``…_SHA256SUMS``/``…_SHA256SUMS.sig``; ``signing_keys`` are the
        ``gpg_public_keys`` entries (``{"key_id", "ascii_armor", "trust_signature"}``).
        ``extra_files`` are served beside them (e.g. ``…_manifest.json``);
        ``download_overrides[os_arch]`` is merged into that platform's download JSON (to
        publish malformed responses).
        """
        with self._lock:
            self._published[(namespace, type_, version)] = _Published(
                namespace=namespace,
                type=type_,
                version=version,
                zips=dict(platform_zips),
                shasums=shasums,
                sig=sig,
                signing_keys=[dict(k) for k in signing_keys],
                protocols=tuple(protocols),
                extra_files=dict(extra_files or {}),
                download_overrides={k: dict(v) for k, v in (download_overrides or {}).items()},
            )

    def _prefix(self, p: _Published) -> str:
        return f"terraform-provider-{p.type}_{p.version}"

    def _api(self, req: RecordedRequest) -> Reply | None:
        rel = urlsplit(req.path).path[len(self.providers_path) :]
        parts = rel.split("/")
        with self._lock:
            published = list(self._published.values())
        if len(parts) == 3 and parts[2] == "versions":
            ns, typ = parts[0], parts[1]
            mine = [p for p in published if (p.namespace, p.type) == (ns, typ)]
            if not mine:
                return Reply(
                    status=404, body=b'{"errors":["Not Found"]}', content_type="application/json"
                )
            return json_reply(
                {
                    "versions": [
                        {
                            "version": p.version,
                            "protocols": list(p.protocols),
                            "platforms": [
                                {"os": k.split("_")[0], "arch": k.split("_")[1]} for k in p.zips
                            ],
                        }
                        for p in mine
                    ]
                }
            )
        if len(parts) == 6 and parts[3] == "download":
            ns, typ, ver, os_, arch = parts[0], parts[1], parts[2], parts[4], parts[5]
            with self._lock:
                p = self._published.get((ns, typ, ver))
            plat = f"{os_}_{arch}"
            if p is None or plat not in p.zips:
                return Reply(
                    status=404, body=b'{"errors":["Not Found"]}', content_type="application/json"
                )
            base = self.server.url_for(f"/dl/{ns}/{typ}/{ver}/")
            name = f"{self._prefix(p)}_{plat}.zip"
            doc: dict[str, Any] = {
                "protocols": list(p.protocols),
                "os": os_,
                "arch": arch,
                "filename": name,
                "download_url": base + name,
                "shasums_url": base + f"{self._prefix(p)}_SHA256SUMS",
                "shasums_signature_url": base + f"{self._prefix(p)}_SHA256SUMS.sig",
                "shasum": sha256_hex(p.zips[plat]),
                "signing_keys": {"gpg_public_keys": p.signing_keys},
            }
            doc.update(p.download_overrides.get(plat, {}))
            return json_reply(doc)
        return None

    def _files(self, req: RecordedRequest) -> Reply | None:
        parts = urlsplit(req.path).path.split("/")
        if len(parts) != 6:
            return None
        _, _, ns, typ, ver, name = parts
        with self._lock:
            p = self._published.get((ns, typ, ver))
        if p is None:
            return None
        files = {f"{self._prefix(p)}_{k}.zip": v for k, v in p.zips.items()}
        files[f"{self._prefix(p)}_SHA256SUMS"] = p.shasums
        files[f"{self._prefix(p)}_SHA256SUMS.sig"] = p.sig
        files.update(p.extra_files)
        body = files.get(name)
        if body is None:
            return None
        ctype = "application/zip" if name.endswith(".zip") else "application/octet-stream"
        return Reply(body=body, content_type=ctype)


# --- network mirror ----------------------------------------------------------------------


class MirrorBuilder:
    """A provider network mirror served by ``server`` under ``prefix``.

    Either serve a static tree (:meth:`serve_tree`, e.g. the corpus' ``net-mirror``) or publish
    providers with :meth:`add_provider`, which generates ``index.json`` and ``<version>.json``
    (archive URLs relative to the JSON, ``hashes`` as given).
    """

    def __init__(self, server: HttpsServer, *, prefix: str = "/mirror/") -> None:
        self.server = server
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self._tree: dict[tuple[str, str, str], dict[str, dict[str, tuple[bytes, list[str]]]]] = {}
        self._lock = threading.Lock()
        self.content_type = "application/json"
        server.route(self.prefix, self._handle, prefix=True)

    @property
    def base_url(self) -> str:
        """The mirror's base URL (ends with ``/``)."""
        return self.server.url_for(self.prefix)

    def serve_tree(self, root: Path, *, zips_from: Path | None = None) -> None:
        """Serve a static mirror tree; archives not in ``root`` are looked up in ``zips_from``
        (same relative path), so the corpus' JSON-only tree can reuse its packed zips."""
        self.server.serve_dir(root, self.prefix)
        if zips_from is not None:
            self.server.serve_dir(zips_from, self.prefix)

    def add_provider(
        self,
        hostname: str,
        namespace: str,
        type_: str,
        version: str,
        platform_zips: Mapping[str, bytes],
        *,
        hashes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Publish ``hostname/namespace/type_`` ``version`` with one archive per platform."""
        with self._lock:
            versions = self._tree.setdefault((hostname, namespace, type_), {})
            versions[version] = {
                plat: (data, list((hashes or {}).get(plat, ())))
                for plat, data in platform_zips.items()
            }

    def _handle(self, req: RecordedRequest) -> Reply | None:
        rel = unquote(urlsplit(req.path).path)[len(self.prefix) :]
        parts = rel.split("/")
        if len(parts) != 4:
            return None
        key = (parts[0], parts[1], parts[2])
        leaf = parts[3]
        with self._lock:
            versions = self._tree.get(key)
        if versions is None:
            return None
        if leaf == "index.json":
            return json_reply(
                {"versions": {v: {} for v in versions}}, content_type=self.content_type
            )
        if leaf.endswith(".json") and leaf[:-5] in versions:
            ver = leaf[:-5]
            archives = {
                plat: {
                    "url": f"terraform-provider-{key[2]}_{ver}_{plat}.zip",
                    **({"hashes": h} if h else {}),
                }
                for plat, (_data, h) in versions[ver].items()
            }
            return json_reply({"archives": archives}, content_type=self.content_type)
        for ver, plats in versions.items():
            for plat, (data, _h) in plats.items():
                if leaf == f"terraform-provider-{key[2]}_{ver}_{plat}.zip":
                    return Reply(body=data, content_type="application/zip")
        return None


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true or ``timeout``; returns the last result."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def free_port() -> int:
    """An ephemeral TCP port on 127.0.0.1 that was free a moment ago."""
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
