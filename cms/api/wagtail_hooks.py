"""What the API offers other apps through Wagtail hooks."""

from wagtail import hooks

from cms.models.guide import CONTENT_TOKEN_HOOK

from . import state


@hooks.register(CONTENT_TOKEN_HOOK)
def content_token() -> str:
    return state.current_token()
