"""``focus:break`` reaches the user's real Socket.IO connections when the job completes a session."""

from __future__ import annotations

from datetime import datetime

from entrypoints.container import App
from entrypoints.scheduler.jobs import complete_focus_sessions
from tests.integration.catalog_support import use_clock
from tests.integration.socketio.conftest import serve


async def test_the_break_is_pushed_to_every_socket_of_the_user_and_nobody_else(container: App) -> None:
    clock = use_clock(container)
    async with serve(container) as live:
        ada, bob = await live.person(), await live.person()
        phone, laptop, bobs = await live.chatter(ada), await live.chatter(ada), await live.chatter(bob)
        response = await live.http.post(
            "/api/focus/sessions", json={"focus_minutes": 1, "break_minutes": 4}, headers=ada.headers
        )
        assert response.status_code == 201, response.text
        session = response.json()

        clock.advance(seconds=59)
        await complete_focus_sessions(container)
        await phone.nothing("focus:break", wait=0.2)

        clock.advance(seconds=1)
        assert str(await complete_focus_sessions(container)) == "completed 1 focus sessions"
        for socket in (phone, laptop):
            event = await socket.next("focus:break")
            assert event["session_id"] == session["id"]
            assert event["break_minutes"] == 4
            assert datetime.fromisoformat(event["ended_at"]) == datetime.fromisoformat(session["ends_at"])
        await bobs.nothing("focus:break")

        achievements = (await live.http.get("/api/achievements", headers=ada.headers)).json()["items"]
        assert achievements[0]["code"] == "first_pomodoro"
        assert datetime.fromisoformat(achievements[0]["unlocked_at"]) == datetime.fromisoformat(session["ends_at"])
