"""The chat app: sessions sidebar, conversation, plan, message box, footer.

The app only translates between a person and ``AgentService``: turns run on
the agent thread (pa_cli.tui.bridge) and arrive here as messages; database,
keyring and OAuth work runs in threads. Nothing here waits on the UI loop.

The service may come as a ``ServiceOpening`` (``pa chat``): the screen and its input are drawn
first, the service opens on a thread after that first frame, and the sessions list, a resumed
transcript and any message typed meanwhile wait for it; if it cannot be opened, its error is shown.
Screens other than the chat itself are imported when first shown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header

from pa_cli.agent.opening import ServiceOpening
from pa_cli.tui import commands
from pa_cli.tui.bridge import (
    AgentEvent,
    AgentThread,
    ApprovalAsked,
    ApprovalWithdrawn,
    ShowNotice,
    Turn,
    TurnEnded,
    make_approver,
    run_turn_events,
    start_turn,
)
from pa_cli.tui.data import ChatData, tools_markdown
from pa_cli.tui.widgets.conversation import Conversation
from pa_cli.tui.widgets.plan import PlanPanel
from pa_cli.tui.widgets.prompt import PromptInput
from pa_cli.tui.widgets.sidebar import SessionsSidebar

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService
    from pa_cli.tui.screens.approval import ApprovalScreen

WIDE_ENOUGH_FOR_SIDEBAR = 100
BUSY = "A turn is running: press Esc to stop it first."


def _describe(exc: BaseException) -> str:
    from pa_cli.errors import PaError

    if isinstance(exc, PaError):
        return exc.message + (f"\n{exc.hint}" if exc.hint else "")
    return f"unexpected failure ({type(exc).__name__})"


class ChatApp(App[None]):
    CSS_PATH = Path(__file__).with_name("chat.tcss")  # absolute: subclasses elsewhere keep the styles
    TITLE = "pa"
    BINDINGS = [
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+n", "new_session", "New session"),
        Binding("ctrl+b", "toggle_sidebar", "Sessions"),
        Binding("f2", "memory", "Memory"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        service: AgentService | ServiceOpening,
        *,
        session_id: str | None = None,
        open_browser: bool = True,
        show_sidebar: bool | None = None,
    ) -> None:
        super().__init__()
        self.opening = service if isinstance(service, ServiceOpening) else ServiceOpening.opened(service)
        self.data = ChatData(self.opening)
        self.session_id = session_id
        self.open_browser = open_browser
        self._show_sidebar = show_sidebar
        self._agent = AgentThread()
        self.turn: Turn | None = None
        self._turns = 0
        self._approvals: dict[str, ApprovalScreen] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield SessionsSidebar(id="sidebar")
            with Vertical(id="chat"):
                yield Conversation(id="conversation")
                yield PlanPanel()
                yield PromptInput(id="prompt")
        yield Footer(show_command_palette=False)  # all our keys fit at 80 columns; Ctrl+P still opens it

    @property
    def conversation(self) -> Conversation:
        return self.query_one(Conversation)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def sidebar(self) -> SessionsSidebar:
        return self.query_one(SessionsSidebar)

    @property
    def service(self) -> AgentService:
        """The service, once open (waits for it: not for the UI loop before ``opening.done``)."""
        return self.opening.result()

    @property
    def busy(self) -> bool:
        return self.turn is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Stop is shown dimmed while no turn runs."""
        if action == "stop":
            return True if self.busy else None
        return True

    async def on_mount(self) -> None:
        show = self._show_sidebar
        if show is None:
            show = self.size.width >= WIDE_ENOUGH_FOR_SIDEBAR
        self.sidebar.display = show
        self.prompt.focus()
        self.call_after_refresh(self.opening.start)  # the first frame first, then the store and tools
        self.watch_opening()
        self.refresh_sessions()
        if self.session_id:
            self.open_session(self.session_id)
        else:
            await self.conversation.notice("New session. Type a message, or /help for keys and commands.")

    @work(group="opening", exit_on_error=False)
    async def watch_opening(self) -> None:
        """Say once, at once, why the service could not be opened (an unusable database...)."""
        try:
            await self.opening.wait()
        except Exception as exc:
            await self.conversation.notice(_describe(exc), kind="error")

    def _opening_error(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the opening's own failure (``watch_opening`` has shown it)."""
        return self.opening.failed and exc is self.opening.future.exception()

    async def on_unmount(self) -> None:
        # Quit before the first refresh's callback: the sessions reader waits for the opening (and
        # Python's exit for it), so it starts now; `pa chat` then waits for it, as for any opening.
        self.opening.start()
        if self.turn is not None:
            self.turn.stop()
        await asyncio.to_thread(self._agent.close)

    @on(ShowNotice)
    async def _show_notice(self, message: ShowNotice) -> None:
        await self.conversation.notice(message.text, kind=message.kind)

    # --- sending ----------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        command = commands.parse(event.text)
        if command is not None:
            await self.run_command(command)
            return
        await self.send(commands.message_text(event.text))

    async def send(self, text: str) -> None:
        if self.busy:
            await self.conversation.notice(BUSY, kind="warning")
            return
        await self.conversation.add_user(text)
        self.opening.start()  # normally started after the first frame; the message waits for it
        self._turns += 1
        events = run_turn_events(self.opening, text, self.session_id, make_approver(self))
        self.turn = start_turn(self._agent, self, self._turns, events)
        self.sub_title = "thinking..."
        self.refresh_bindings()

    def action_stop(self) -> None:
        if self.turn is not None and not self.turn.stopping:
            self.turn.stop()
            self.sub_title = "stopping..."

    @on(AgentEvent)
    async def _agent_event(self, message: AgentEvent) -> None:
        if self.turn is None or message.turn != self.turn.number:
            return
        from pa_cli.agent.events import SessionStarted

        event = message.event
        if isinstance(event, SessionStarted):
            new = self.session_id != event.session_id
            self.session_id = event.session_id
            if new:
                self.refresh_sessions()
        plan = await self.conversation.apply(event)
        if plan is not None:
            self.query_one(PlanPanel).show_steps(plan.steps)

    @on(TurnEnded)
    async def _turn_ended(self, message: TurnEnded) -> None:
        if self.turn is None or message.turn != self.turn.number:
            return
        self.turn = None
        self.sub_title = ""
        self.refresh_bindings()
        await self.conversation.end_turn(stopped=message.stopped, error=message.error)
        self.refresh_sessions()

    # --- approvals --------------------------------------------------------------------

    @on(ApprovalAsked)
    def _approval_asked(self, message: ApprovalAsked) -> None:
        answer = message.answer
        request_id = message.request.id

        def decided(approved: bool | None) -> None:
            self._approvals.pop(request_id, None)
            if not answer.done():
                with contextlib.suppress(concurrent.futures.InvalidStateError):  # the turn stopped meanwhile
                    answer.set_result(bool(approved))

        if answer.done():
            return
        from pa_cli.tui.screens.approval import ApprovalScreen

        screen = ApprovalScreen(message.request)
        self._approvals[request_id] = screen
        self.push_screen(screen, callback=decided)

    @on(ApprovalWithdrawn)
    def _approval_withdrawn(self, message: ApprovalWithdrawn) -> None:
        screen = self._approvals.pop(message.approval_id, None)
        if screen is not None:
            screen.withdraw()

    # --- sessions ---------------------------------------------------------------------

    @work(group="sessions", exclusive=True, exit_on_error=False)
    async def refresh_sessions(self) -> None:
        try:
            sessions = await asyncio.to_thread(self.data.sessions)
        except Exception as exc:
            if not self._opening_error(exc):
                await self.conversation.notice(f"Could not list sessions: {_describe(exc)}", kind="error")
            return
        await self.sidebar.show_sessions(sessions, self.session_id)
        current = next((s for s in sessions if s.id == self.session_id), None)
        if current is not None and not self.busy:
            self.sub_title = current.title

    @work(group="open", exclusive=True, exit_on_error=False)
    async def open_session(self, session_id: str) -> None:
        try:
            view = await asyncio.to_thread(self.data.open_session, session_id)
        except Exception as exc:
            if self.session_id == session_id:  # never send into a session that cannot be opened
                self.session_id = None
            if not self._opening_error(exc):
                await self.conversation.notice(_describe(exc), kind="error")
            return
        self.session_id = view.id
        self.sub_title = view.title
        self.prompt.sent = [m.content for m in view.messages if m.role == "user"]
        await self.conversation.show_transcript(view.messages)
        self.query_one(PlanPanel).show_steps(view.plan)
        self.refresh_sessions()

    @on(SessionsSidebar.Chosen)
    async def _session_chosen(self, event: SessionsSidebar.Chosen) -> None:
        if event.session_id == self.session_id:
            self.prompt.focus()
            return
        if self.busy:
            await self.conversation.notice(BUSY, kind="warning")
            return
        self.open_session(event.session_id)
        self.prompt.focus()

    async def action_new_session(self) -> None:
        if self.busy:
            await self.conversation.notice(BUSY, kind="warning")
            return
        self.session_id = None
        self.sub_title = ""
        await self.conversation.reset()
        self.query_one(PlanPanel).show_steps([])
        await self.conversation.notice("New session. Type a message, or /help for keys and commands.")
        self.refresh_sessions()
        self.prompt.focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.sidebar
        sidebar.display = not sidebar.display
        if not sidebar.display:
            self.prompt.focus()

    def action_memory(self) -> None:
        self.show_memory()

    @work(group="memory", exclusive=True, exit_on_error=False)
    async def show_memory(self) -> None:
        """The memory panel, once the service is open (its book reads the database)."""
        from pa_cli.tui.screens.memory import MemoryScreen

        try:
            book = await asyncio.to_thread(self.data.memory_book)
        except Exception as exc:
            await self.conversation.notice(_describe(exc), kind="error")
            return
        await self.push_screen(MemoryScreen(book))

    async def action_undo_send(self) -> None:
        """`/undo`: take back the latest approved mail while it waits in the outbox."""
        from pa_cli.errors import PaError
        from pa_cli.outbox.send import undo_latest

        data = self.data
        try:
            item = await asyncio.to_thread(lambda: undo_latest(data.service.store, data.user_id))
        except PaError as exc:
            await self.conversation.notice(exc.message, kind="warning")
            return
        await self.conversation.notice(f"Undone: {item.summary} (not sent)")

    def action_help(self) -> None:
        from pa_cli.tui.screens.info import InfoScreen

        self.push_screen(InfoScreen("Help", commands.HELP, id="help"))

    # --- slash commands ---------------------------------------------------------------

    async def run_command(self, command: commands.SlashCommand) -> None:
        problem = commands.usage_problem(command)
        if problem is not None:
            await self.conversation.notice(problem, kind="warning")
            return
        name, argument = command.name, command.argument
        if name == "new":
            await self.action_new_session()
        elif name == "sessions":
            self.sidebar.display = True
            self.refresh_sessions()
            self.sidebar.query_one("#session-list").focus()
        elif name == "help":
            self.action_help()
        elif name == "undo":
            await self.action_undo_send()
        elif name == "tools":
            self.show_tools()
        elif name == "system":
            self.edit_system_prompt()
        elif name == "search":
            self.search(argument)
        elif name == "authorize":
            self.authorize(argument.lower())
        elif name == "routines":
            self.show_routines()

    @work(group="command", exit_on_error=False)
    async def show_routines(self) -> None:
        from pa_cli.tui.screens.routines import RoutinesScreen

        try:
            views = await asyncio.to_thread(self.data.routines)
        except Exception as exc:
            await self.conversation.notice(_describe(exc), kind="error")
            return
        chosen = await self.push_screen_wait(RoutinesScreen(views))
        if chosen is None:
            return
        await self.conversation.notice(f"Running {chosen}...")
        try:
            result = await asyncio.to_thread(self.data.run_routine, chosen)
        except Exception as exc:
            await self.conversation.notice(f"{chosen} failed: {_describe(exc)}", kind="error")
            return
        waits = "".join(
            f"\nWaits for your approval: {w['tool']} ({w['id'][:8]})" for w in result.pending_approvals
        )
        where = f"\nIts session: {result.session_id[:8]} (/sessions)" if result.session_id else ""
        await self.conversation.notice(f"{chosen}: {result.status}. {result.summary}{waits}{where}")

    @work(group="command", exit_on_error=False)
    async def show_tools(self) -> None:
        from pa_cli.tui.screens.info import InfoScreen

        try:
            rows = await asyncio.to_thread(self.data.tools)
        except Exception as exc:
            await self.conversation.notice(f"Could not list tools: {_describe(exc)}", kind="error")
            return
        await self.push_screen(InfoScreen("Tools", tools_markdown(rows), id="tools"))

    @work(group="command", exit_on_error=False)
    async def edit_system_prompt(self) -> None:
        from pa_cli.agent.context import DEFAULT_SYSTEM_PROMPT
        from pa_cli.tui.screens.system_prompt import SystemPromptScreen

        try:
            current = await asyncio.to_thread(self.data.system_prompt)
        except Exception as exc:
            await self.conversation.notice(_describe(exc), kind="error")
            return
        text = await self.push_screen_wait(SystemPromptScreen(current, DEFAULT_SYSTEM_PROMPT))
        if text is None:
            return
        try:
            await asyncio.to_thread(self.data.set_system_prompt, text or None)
        except Exception as exc:
            await self.conversation.notice(_describe(exc), kind="error")
            return
        what = "System prompt saved." if text else "System prompt reset to the default."
        await self.conversation.notice(what)

    @work(group="command", exit_on_error=False)
    async def search(self, query: str) -> None:
        from pa_cli.tui.screens.search import SearchScreen

        try:
            hits = await asyncio.to_thread(self.data.search, query)
        except Exception as exc:
            await self.conversation.notice(_describe(exc), kind="error")
            return
        chosen = await self.push_screen_wait(SearchScreen(query, hits))
        if chosen is not None:
            if self.busy:
                await self.conversation.notice(BUSY, kind="warning")
            else:
                self.open_session(chosen)

    @work(group="authorize", exclusive=True, exit_on_error=False)
    async def authorize(self, google_service: str) -> None:
        def show_url(url: str) -> None:  # called on the OAuth thread
            text = f"To authorize {google_service}, open this address in your browser:\n{url}"
            self.post_message(ShowNotice(text))

        await self.conversation.notice(f"Authorizing {google_service}...")
        try:
            scopes = await asyncio.to_thread(
                self.data.authorize, google_service, show_url, open_browser=self.open_browser
            )
        except Exception as exc:
            await self.conversation.notice(f"Authorization failed: {_describe(exc)}", kind="error")
            return
        await self.conversation.notice(f"{google_service} authorized ({scopes}).")
