"""A Streamlit client that speaks the browser's protocol: the ForwardMsg/BackMsg protobufs over /_stcore/stream.

What a browser tab does, and what :class:`Session` does the same way:

* ``GET /`` (the page), ``GET /_stcore/health`` and ``GET /_stcore/host-config`` (which sets the ``_streamlit_xsrf``
  cookie), then the websocket ``/_stcore/stream`` with the subprotocols ``streamlit, <xsrf token>`` and the
  cookies of the site (the app's ``fz_session`` login cookie among them, after a login).
* It asks for the first run with a ``rerun_script`` BackMsg (the page from the address, the browser's time zone and
  locale) and rebuilds the element tree from the ``delta`` messages (addressed by ``metadata.delta_path``), keeping
  the values of the widgets it shows (their defaults, or what the script set) as the frontend's widget manager does.
* A click is one ``rerun_script`` BackMsg carrying every widget's current value and the clicked button's trigger
  (a form's text inputs go with its submit button; a widget drawn in a fragment sends that fragment's id). The run
  ends with ``script_finished``; elements that the run did not draw again are removed (stale elements).
* Messages the server marks cacheable are kept by hash and announced in ``cached_message_hashes``, so the server may
  answer with ``ref_hash`` references, as it does for a browser. Fragments with ``run_every`` are rerun on their
  interval (``auto_rerun``), as the frontend does.

Only the protocol lives here; what a person does with the pages is in :mod:`.scenario`.
"""

from __future__ import annotations

import asyncio
import http.client
import http.cookies
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
WIDGET_TYPES = {
    "button",
    "radio",
    "checkbox",
    "text_input",
    "text_area",
    "selectbox",
    "number_input",
    "multiselect",
    "button_group",
    "slider",
    "date_input",
    "time_input",
    "color_picker",
    "dataframe",
    "chat_input",
    "download_button",
    "component_instance",
    "bidi_component",
    "pagination",
}
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; loadtest) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36 training-app-loadtest"
)


class ProtocolError(Exception):
    """The server closed the connection, a run never finished, or the page lacks what the step needs."""


@dataclass
class Node:
    path: tuple[int, ...]
    kind: str  # element type ("button", "radio", ...) or "block:<type>"
    proto: Any  # the Element's typed payload (e.g. a Button) or the Block
    run_id: str
    fragment_id: str = ""

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "") or ""

    @property
    def widget_id(self) -> str:
        return getattr(self.proto, "id", "") or ""

    @property
    def form_id(self) -> str:
        return getattr(self.proto, "form_id", "") or ""


@dataclass
class RunResult:
    """One script run caused by one BackMsg: from send to its script_finished."""

    seconds: float
    status: int
    errors: list[str] = field(default_factory=list)


class CookieJar:
    """The cookies of one site, as a browser keeps them (no expiry handling: a load test lasts minutes)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def take(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() != "set-cookie":
                continue
            c = http.cookies.SimpleCookie()
            try:
                c.load(value)
            except http.cookies.CookieError:
                first = value.split(";", 1)[0]
                if "=" in first:
                    k, v = first.split("=", 1)
                    self.cookies[k.strip()] = v.strip()
                continue
            for k, morsel in c.items():
                if morsel.get("max-age") in ("0",) or (morsel.value == "" and morsel.get("expires")):
                    self.cookies.pop(k, None)
                else:
                    self.cookies[k] = morsel.value

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def _http(
    method: str,
    url: str,
    jar: CookieJar,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 60,
    source_ip: str | None = None,
) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(url)
    conn_cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(u.hostname, u.port, timeout=timeout, source_address=(source_ip, 0) if source_ip else None)
    h = {"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9", "Host": u.netloc}
    if jar.cookies:
        h["Cookie"] = jar.header()
    h.update(headers or {})
    try:
        conn.request(method, (u.path or "/") + (f"?{u.query}" if u.query else ""), body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        jar.take(list(r.getheaders()))
        return r.status, data
    finally:
        conn.close()


async def http_request(
    method: str,
    url: str,
    jar: CookieJar,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 60,
    source_ip: str | None = None,
) -> tuple[int, bytes]:
    """A plain HTTP request in a worker thread (a handful per session: the page, health, host-config, a cookie)."""
    try:
        return await asyncio.to_thread(_http, method, url, jar, body, headers, timeout, source_ip)
    except (OSError, http.client.HTTPException) as exc:
        raise ProtocolError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc


def _payload(element) -> tuple[str, Any]:
    kind = element.WhichOneof("type")
    return kind or "empty", getattr(element, kind) if kind else None


class Session:
    """One browser tab on a Streamlit app.

    ``await Session.open(base_url)`` connects and waits for the first run; then :meth:`click`, :meth:`submit_form`,
    :meth:`choose`, :meth:`goto_page` and :meth:`rerun` each send one BackMsg and return the :class:`RunResult`
    of the run it caused (the page tree is then up to date in :attr:`nodes`).
    """

    def __init__(
        self,
        base_url: str,
        jar: CookieJar | None = None,
        *,
        path: str = "",
        timeout: float = 180.0,
        auto_rerun: bool = True,
        time_zone: str = "Asia/Shanghai",
        source_ip: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.jar = jar or CookieJar()
        self.path = path.strip("/")
        self.timeout = timeout
        self.auto_rerun = auto_rerun
        self.time_zone = time_zone
        self.source_ip = source_ip  # a loopback address per simulated device (127.0.0.x), for a sticky proxy
        self.ws: websockets.ClientConnection | None = None
        self.nodes: dict[tuple[int, ...], Node] = {}
        self.values: dict[str, WidgetState] = {}  # widget id -> its current value, as the frontend holds it
        self.cache: dict[str, ForwardMsg] = {}
        self.session_id = ""
        self.page_script_hash = ""
        self.main_script_hash = ""
        self.pages: list = []  # AppPage protos from the last navigation message
        self.run_id = ""
        self.run_fragments: tuple[str, ...] = ()
        self.runs_started = 0
        self.closed_reason: str | None = None
        self._finished: asyncio.Queue[tuple[int, str, int]] = asyncio.Queue()
        self._reader: asyncio.Task | None = None
        self._auto: dict[str, asyncio.Task] = {}
        self._lock = asyncio.Lock()  # one run at a time from this tab (clicks wait for an auto-rerun to finish)
        self._run_errors: list[str] = []
        self.bytes_received = 0

    # --- connecting ----------------------------------------------------------------------------------------

    @classmethod
    async def open(cls, base_url: str, jar: CookieJar | None = None, **kw) -> tuple[Session, RunResult]:
        s = cls(base_url, jar, **kw)
        first = await s.connect()
        return s, first

    async def connect(self) -> RunResult:
        t0 = time.perf_counter()
        page_url = f"{self.base_url}/{self.path}"
        status, _ = await http_request("GET", page_url, self.jar, source_ip=self.source_ip)
        if status != 200:
            raise ProtocolError(f"GET {page_url}: HTTP {status}")
        await http_request("GET", f"{self.base_url}/_stcore/health", self.jar, source_ip=self.source_ip)
        await http_request("GET", f"{self.base_url}/_stcore/host-config", self.jar, source_ip=self.source_ip)
        xsrf = self.jar.cookies.get("_streamlit_xsrf", "")
        parsed = urllib.parse.urlparse(self.base_url)
        ws_url = ("wss" if parsed.scheme == "https" else "ws") + f"://{parsed.netloc}{parsed.path}/_stcore/stream"
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9"}
        if self.jar.cookies:
            headers["Cookie"] = self.jar.header()
        protocols = ["streamlit"] + ([xsrf] if xsrf else [])
        try:
            self.ws = await websockets.connect(
                ws_url,
                subprotocols=protocols,
                additional_headers=headers,
                origin=f"{parsed.scheme}://{parsed.netloc}",
                max_size=None,
                open_timeout=self.timeout,
                ping_interval=20,
                ping_timeout=None,
                compression=None,
                user_agent_header=None,
                **({"local_addr": (self.source_ip, 0)} if self.source_ip else {}),
            )
        except (TimeoutError, OSError, websockets.WebSocketException) as exc:
            raise ProtocolError(f"websocket connect: {type(exc).__name__}: {exc}") from exc
        self._reader = asyncio.create_task(self._read_loop())
        # The frontend asks for the first run of the page at its address.
        result = await self._send_rerun(page_name=self.path, started=t0)
        return result

    async def close(self) -> None:
        for task in self._auto.values():
            task.cancel()
        self._auto.clear()
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self.closed_reason = self.closed_reason or "closed by client"

    # --- receiving -----------------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            async for raw in self.ws:
                if isinstance(raw, str):
                    continue
                self.bytes_received += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except websockets.ConnectionClosed as exc:
            self.closed_reason = f"websocket closed ({exc.code}) {exc.reason}".strip()
        except Exception as exc:  # noqa: BLE001 - reported to the waiting step
            self.closed_reason = f"reader failed: {type(exc).__name__}: {exc}"
        else:
            self.closed_reason = "websocket closed by the server"
        self._finished.put_nowait((-1, "", -1))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self._run_errors.append(f"unknown cached message {msg.ref_hash}")
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
        if kind == "new_session":
            ns = msg.new_session
            self.run_id = msg.metadata.run.script_run_id
            self.run_fragments = tuple(msg.metadata.run.fragment_ids)
            self.runs_started += 1
            if ns.HasField("initialize") and ns.initialize.session_id:
                self.session_id = ns.initialize.session_id
            self.page_script_hash = ns.page_script_hash
            self.main_script_hash = ns.main_script_hash
            if not self.run_fragments:
                for t in self._auto.values():  # a full run sets up its fragments' timers again
                    t.cancel()
                self._auto.clear()
        elif kind == "delta":
            self._apply_delta(msg)
        elif kind == "navigation":
            self.pages = list(msg.navigation.app_pages)
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                self._prune(self.run_id)
            elif status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self._prune(self.run_id, self.run_fragments)
            self._finished.put_nowait((status, self.run_id, self.runs_started))
        elif kind == "page_not_found":
            self._run_errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "session_event":
            ev = msg.session_event
            if ev.HasField("script_compilation_exception"):
                self._run_errors.append(f"compile error: {ev.script_compilation_exception.message}")
        elif kind == "auto_rerun":
            if self.auto_rerun:
                self._start_auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            pass

    def _apply_delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            etype, payload = _payload(delta.new_element)
            old = self.nodes.get(path)
            if old is not None and old.kind.startswith("block:"):
                self._drop_under(path)
            node = Node(path, etype, payload, self.run_id, delta.fragment_id)
            self.nodes[path] = node
            if old is not None and old.widget_id and old.widget_id != node.widget_id:
                self._release(old.widget_id)
            if etype in WIDGET_TYPES and payload is not None and getattr(payload, "id", ""):
                self._widget_seen(etype, payload)
            if etype == "exception":
                self._run_errors.append(f"exception shown: {payload.type}: {payload.message[:200]}")
        elif which == "add_block":
            block = delta.add_block
            btype = block.WhichOneof("type") or "vertical"
            old = self.nodes.get(path)
            if old is not None and old.kind != f"block:{btype}":
                self._drop_under(path)
            self.nodes[path] = Node(path, f"block:{btype}", block, self.run_id, delta.fragment_id)
            if btype == "expandable" and block.expandable.id:
                # a stateful expander (on_change="rerun") is a widget: its value is whether it is open, and the
                # frontend follows what the script drew (e.g. a sheet the script folded after a jump)
                wid = block.expandable.id
                self.values[wid] = WidgetState(id=wid, bool_value=block.expandable.expanded)
        # new_transient (spinners, toasts) carries nothing a person acts on

    def _drop_under(self, path: tuple[int, ...]) -> None:
        n = len(path)
        for p in [p for p in self.nodes if len(p) > n and p[:n] == path]:
            self._forget(p)

    def _forget(self, p: tuple[int, ...]) -> None:
        node = self.nodes.pop(p, None)
        if node is not None and node.widget_id:
            self._release(node.widget_id)

    def _release(self, widget_id: str) -> None:
        """A widget left the page: the frontend forgets its value (a browser never sends it again)."""
        if not any(o.widget_id == widget_id for o in self.nodes.values()):
            self.values.pop(widget_id, None)

    def _prune(self, run_id: str, fragments: tuple[str, ...] = ()) -> None:
        """After a run: drop the elements it did not draw again (the frontend's stale-element cleanup: after a
        fragment run only the elements of the fragments that ran), and the values of widgets no longer on the
        page. Without the fragment case a question's old checkboxes stayed and their values were sent on."""
        for p in [
            p for p, n in self.nodes.items() if n.run_id != run_id and (not fragments or n.fragment_id in fragments)
        ]:
            self.nodes.pop(p, None)
        live = {n.widget_id for n in self.nodes.values() if n.widget_id}
        for wid in [w for w in self.values if w not in live]:
            del self.values[wid]

    def _widget_seen(self, etype: str, w) -> None:
        """Register a widget's value as the frontend does: its default when new, or what the script set."""
        wid = w.id
        if etype in ("button", "download_button", "chat_input", "dataframe", "component_instance", "bidi_component"):
            return  # triggers and selections: sent only when used
        known = wid in self.values
        set_value = getattr(w, "set_value", False)
        if known and not set_value:
            return
        state = WidgetState(id=wid)
        if etype in ("radio", "selectbox"):  # the chosen option's label (string_value), as in Streamlit >= 1.50
            if set_value:
                if w.HasField("raw_value"):
                    state.string_value = w.raw_value
                else:
                    self.values.pop(wid, None)
                    return
            elif w.HasField("default") and 0 <= w.default < len(w.options):
                state.string_value = w.options[w.default]
            else:
                self.values.pop(wid, None)
                return
        elif etype == "checkbox":
            state.bool_value = w.value if set_value else w.default
        elif etype in ("text_input", "text_area"):
            if set_value and w.HasField("value"):
                state.string_value = w.value
            elif w.HasField("default"):
                state.string_value = w.default
            else:
                return
        elif etype == "number_input":
            if w.HasField("default"):
                state.double_value = w.default
            else:
                return
        elif (
            etype == "button_group"
        ):  # st.pills: the selection the script set (e.g. the answer sheet's current question)
            if not set_value:
                return
            state.string_array_value.data.extend(w.raw_values)
        else:
            return  # widgets this client never sets: the server keeps their values
        self.values[wid] = state

    # --- what is on the page -------------------------------------------------------------------------------

    def elements(self, kind: str | None = None) -> list[Node]:
        out = [n for n in self.nodes.values() if kind is None or n.kind == kind]
        out.sort(key=lambda n: n.path)
        return out

    def buttons(self, label: str | re.Pattern | None = None, *, enabled_only: bool = True) -> list[Node]:
        out = []
        for n in self.elements("button"):
            if enabled_only and n.proto.disabled:
                continue
            if label is None or (n.label == label if isinstance(label, str) else label.search(n.label)):
                out.append(n)
        return out

    def button(self, *labels: str) -> Node | None:
        for label in labels:
            found = self.buttons(label)
            if found:
                return found[0]
        return None

    def texts(self) -> list[str]:
        """Every visible text (markdown, headings, captions, alerts, metrics, labels): for finding and messages."""
        out = []
        for n in self.elements():
            p = n.proto
            if n.kind in ("markdown", "heading", "text", "alert", "code"):
                out.append(p.body)
            elif n.kind == "metric":
                out.append(f"{p.label} {p.body}")
        return out

    def alerts(self, fmt: int | None = None) -> list[str]:
        return [n.proto.body for n in self.elements("alert") if fmt is None or n.proto.format == fmt]

    def errors_on_page(self) -> list[str]:
        """Error alerts and exceptions currently shown."""
        out = [f"st.error: {b[:200]}" for b in self.alerts(Alert.ERROR)]
        out += [f"exception: {n.proto.type}: {n.proto.message[:200]}" for n in self.elements("exception")]
        return out

    def find_text(self, pattern: str | re.Pattern) -> re.Match | None:
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        for t in self.texts():
            m = rx.search(t)
            if m:
                return m
        return None

    def page(self, title: str):
        for p in self.pages:
            if p.page_name == title:
                return p
        return None

    # --- acting --------------------------------------------------------------------------------------------

    def _client_state(
        self,
        *,
        page_name: str = "",
        fragment_id: str = "",
        auto: bool = False,
        triggers: list[WidgetState] = (),
        page_script_hash: str | None = None,
    ) -> BackMsg:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = ""
        cs.page_script_hash = self.page_script_hash if page_script_hash is None else page_script_hash
        cs.page_name = page_name
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        trig_ids = {t.id for t in triggers}
        for wid, state in self.values.items():
            if wid not in trig_ids:
                cs.widget_states.widgets.append(state)
        cs.widget_states.widgets.extend(triggers)
        cs.cached_message_hashes.extend(self.cache.keys())
        ci = cs.context_info
        ci.timezone = self.time_zone
        ci.timezone_offset = -480
        ci.locale = "zh-CN"
        ci.url = f"{self.base_url}/{page_name or self.path}"
        ci.is_embedded = False
        ci.color_scheme = "light"
        return back

    async def _send_rerun(self, *, started: float | None = None, **kw) -> RunResult:
        async with self._lock:
            return await self._send_rerun_locked(started=started, **kw)

    async def _send_rerun_locked(self, *, started: float | None = None, **kw) -> RunResult:
        if self.ws is None or self.closed_reason:
            raise ProtocolError(self.closed_reason or "not connected")
        while not self._finished.empty():  # finishes of runs nobody waited for (e.g. the server's own reruns)
            self._finished.get_nowait()
        self._run_errors = []
        back = self._client_state(**kw)
        before = self.runs_started
        t0 = time.perf_counter() if started is None else started
        try:
            await self.ws.send(back.SerializeToString())
        except websockets.ConnectionClosed as exc:
            raise ProtocolError(f"websocket closed ({exc.code}) while sending") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f}s")
            try:
                status, _run, seq = await asyncio.wait_for(self._finished.get(), left)
            except TimeoutError:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f}s") from None
            if status == -1:
                raise ProtocolError(self.closed_reason or "websocket closed")
            if seq <= before:
                continue  # a run that began before this request
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # st.rerun / st.switch_page: the next run is the one the person waits for
            errors = list(self._run_errors)
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                errors.append("script compile error")
            return RunResult(time.perf_counter() - t0, status, errors)

    async def rerun(self) -> RunResult:
        """What pressing R (or the browser re-running on a reconnect) sends: the same page, the same values."""
        return await self._send_rerun()

    async def click(self, node: Node) -> RunResult:
        if node.kind != "button":
            raise ProtocolError(f"not a button: {node.kind} {node.label!r}")
        trig = WidgetState(id=node.widget_id, trigger_value=True)
        return await self._send_rerun(fragment_id=node.fragment_id, triggers=[trig])

    async def submit_form(self, submit: Node, values: dict[str, str]) -> RunResult:
        """Fill a form's text inputs (by label) and press its submit button."""
        form = submit.form_id
        inputs = {n.label: n for n in self.elements("text_input") if n.form_id == form}
        for label, value in values.items():
            node = inputs.get(label)
            if node is None:
                raise ProtocolError(f"form {form!r} has no text input labelled {label!r}")
            self.values[node.widget_id] = WidgetState(id=node.widget_id, string_value=value)
        trig = WidgetState(id=submit.widget_id, trigger_value=True)
        return await self._send_rerun(fragment_id=submit.fragment_id, triggers=[trig])

    async def choose(self, node: Node, index: int) -> RunResult:
        """Pick option ``index`` of a radio or selectbox (a change reruns at once, outside a form)."""
        options = list(node.proto.options)
        if not 0 <= index < len(options):
            raise ProtocolError(f"option {index} of {len(options)} in {node.label!r}")
        self.values[node.widget_id] = WidgetState(id=node.widget_id, string_value=options[index])
        return await self._send_rerun(fragment_id=node.fragment_id)

    async def pick(self, node: Node, content: str) -> RunResult:
        """Select one option of an st.pills / st.segmented_control (a button group) by its shown text: the
        frontend sends the formatted option as a one-element string array."""
        if node.kind != "button_group":
            raise ProtocolError(f"not a button group: {node.kind} {node.label!r}")
        state = WidgetState(id=node.widget_id)
        state.string_array_value.data.append(content)
        self.values[node.widget_id] = state
        return await self._send_rerun(fragment_id=node.fragment_id)

    async def expand(self, node: Node, value: bool = True) -> RunResult:
        """Open (or fold) a stateful expander: a tap on its summary sends its new state and reruns (the fragment
        it is in, if any)."""
        if node.kind != "block:expandable" or not node.proto.expandable.id:
            raise ProtocolError(f"not an expander that tracks its state: {node.kind}")
        wid = node.proto.expandable.id
        self.values[wid] = WidgetState(id=wid, bool_value=value)
        return await self._send_rerun(fragment_id=node.fragment_id)

    async def check(self, node: Node, value: bool) -> RunResult:
        """Tick or untick a checkbox or toggle."""
        self.values[node.widget_id] = WidgetState(id=node.widget_id, bool_value=value)
        return await self._send_rerun(fragment_id=node.fragment_id)

    async def goto_page(self, title: str) -> RunResult:
        """Click a page in the sidebar navigation."""
        p = self.page(title)
        if p is None:
            raise ProtocolError(f"no page {title!r} in the navigation")
        return await self._send_rerun(page_script_hash=p.page_script_hash, page_name="")

    # --- fragments that rerun on a timer ------------------------------------------------------------------

    def _start_auto_rerun(self, fragment_id: str, interval: float) -> None:
        old = self._auto.pop(fragment_id, None)
        if old is not None:
            old.cancel()
        if interval <= 0:
            return
        self._auto[fragment_id] = asyncio.get_running_loop().create_task(self._auto_loop(fragment_id, interval))

    async def _auto_loop(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self.closed_reason:
                return
            try:
                await self._send_rerun(fragment_id=fragment_id, auto=True)
            except ProtocolError:
                return
