"""Language selection, and the refusal of input no page can read."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from governance.views import bad_request


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language.

    Many office PCs run English-language Windows and browsers; the portal is
    Chinese for them too, and English only for whoever picks it in the footer
    (stored in the language cookie by Django's set_language view).
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def _raw_bytes(text: str) -> bytes:
    """The bytes of a WSGI string (bytes carried as Latin-1); ASGI gives text already."""
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _unquoted(text: str) -> bytes:
    return unquote_to_bytes(text.encode("utf-8", "surrogatepass"))


def _readable(data: bytes) -> bool:
    """UTF-8 without NUL."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class UnreadableInputMiddleware:
    """Answers 400 with the portal's error page when the path, query string, form data or
    cookies hold a NUL byte or bytes that are not UTF-8.

    No field of the portal can use either: PostgreSQL refuses NUL in text, so without this
    guard a NUL in any filter or form field that reaches a query is a server error, and
    Django quietly turns broken UTF-8 into replacement characters. One check here covers
    every page, the admin's included, instead of each form and filter.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._acceptable(request):
            return bad_request(request)
        return self.get_response(request)

    @staticmethod
    def _acceptable(request: HttpRequest) -> bool:
        meta = request.META
        # Django has put broken bytes of the path back as %XX; no path of the portal has a "%".
        if not _readable(_unquoted(request.path_info)):
            return False
        if not _readable(unquote_to_bytes(_raw_bytes(meta.get("QUERY_STRING", "")))):
            return False
        if any("\x00" in name or "\x00" in value for name, value in request.COOKIES.items()):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        content_type = meta.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            # Bounded by DATA_UPLOAD_MAX_MEMORY_SIZE; Django reads the body for request.POST anyway.
            return _readable(unquote_to_bytes(request.body))
        if content_type.startswith("multipart/form-data"):
            # Not the raw body, which holds the uploaded files: the fields as parsed (Django
            # drops unprintable characters from the names of the files itself).
            texts = [text for name, values in request.POST.lists() for text in (name, *values)]
            return not any("\x00" in text for text in texts)
        return True
