"""What a call with no usable login answers: the sign-in link and code, said so that a model passes them on.

Where the client declared URL-mode elicitation (spec 2025-11-25), the call that starts the sign-in also
asks the client to show the link to the user, and waits (within the call's budget) to see whether the
user approved; the client is told when the login is saved. Everywhere else the answer's text is the
instruction. Either way the next call, once the user approved, is answered with no restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
from mcp import MCPError
from mcp.server.mcpserver import Context

from astro_mcp.errors import AstroError, MissingTokenError

if TYPE_CHECKING:  # the service is loaded by the first call, not at start-up
    from astro_mcp.service.signin import Offer, Pending, SignIn

logger = logging.getLogger(__name__)

AGAIN = "Once they have approved it, make the same call again: it will answer, with no restart needed."


async def signing_in(ctx: Context[Any, Any], signin: SignIn, refused: MissingTokenError) -> str | None:
    """The answer to a call refused for want of a login; None when signing in here would not help."""
    if not signin.helps:
        return None
    try:
        offer = await signin.begin()
    except AstroError as err:
        return f"{refused} Signing in from here did not start either: {err}."
    if offer.pending is None:
        return "Signed in to Astro AI just now. Make the same call again: it will answer."
    if offer.new and _elicits_urls(ctx):
        with anyio.move_on_after(signin.budget):
            answered = await _show(ctx, offer.pending)
            if answered:
                await offer.pending.done.wait()  # the user opened the page: give them the rest of the budget
    if offer.pending.signed_in is not None:
        return f"Signed in to Astro AI as {offer.pending.signed_in.user}. Make the same call again: it will answer."
    if offer.pending.ended is not None:
        return f"The Astro AI sign-in {offer.pending.ended}. Make the same call again for a new code."
    return instruction(offer)


def instruction(offer: Offer) -> str:
    """The text a model reads: what happened, the link and code to hand the user as they are, and what then."""
    pending = offer.pending
    assert pending is not None
    step = (
        f"open {pending.url} and confirm the code {pending.user_code} there "
        f"(it expires in {pending.minutes_left()} minutes)"
    )
    if not offer.new:
        return (
            f"Still waiting for the user to approve the Astro AI sign-in: they {step}. "
            f"Give them this link and code again if they need them. {AGAIN}"
        )
    before = f" (the previous sign-in code {offer.before})" if offer.before else ""
    return (
        f"Not signed in to Astro AI yet{before}, so nothing was read. Ask the user to sign in in their browser: "
        f"{step}. Show them the link and the code exactly as written here; nothing else is needed from them. "
        f"{AGAIN}"
    )


def _elicits_urls(ctx: Context[Any, Any]) -> bool:
    elicitation = ctx.client_capabilities.elicitation if ctx.client_capabilities is not None else None
    return elicitation is not None and elicitation.url is not None


async def _show(ctx: Context[Any, Any], pending: Pending) -> bool:
    """Ask the client to show the sign-in page; True when the user agreed to open it."""
    message = (
        f"Sign in to Astro AI: confirm the code {pending.user_code} on this page "
        f"(it expires in {pending.minutes_left()} minutes)."
    )
    try:
        answer = await ctx.elicit_url(message, pending.url, pending.id)
    except MCPError as err:  # no back-channel on this connection, or the client refused the request
        logger.info("the client could not show the sign-in page (%s); the answer carries it", err)
        return False
    if answer.action != "accept":
        return False
    session = ctx.session
    pending.when_done(lambda: session.send_elicit_complete(pending.id))
    return True
