"""The TLS context of every client of the Astro API and of its sign-in service, built once per process."""

from __future__ import annotations

import functools
import ssl

import httpx2


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The trusted certificates as httpx2 reads them (the system's, or SSL_CERT_FILE / SSL_CERT_DIR).

    Reading them costs tens of milliseconds: the first client pays it, and every later one (a server per
    session, the sign-in client) shares the context, as connections safely can.
    """
    return httpx2.create_ssl_context()
