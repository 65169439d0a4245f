"""Typed errors. Every error a user can cause derives from PronscoreError.

The CLI turns these into a one-line message and a non-zero exit code; the HTTP
service turns them into a 4xx response. Anything else is a bug.
"""
from __future__ import annotations


class PronscoreError(Exception):
    """Base class for errors caused by the input or the environment, not by a bug."""

    #: CLI exit status for this kind of error.
    exit_code: int = 2
    #: HTTP status the service answers with.
    http_status: int = 400
    #: Short machine-readable code used in JSON error bodies.
    code: str = "error"


# --- audio -----------------------------------------------------------------
class AudioError(PronscoreError):
    code = "audio_error"
    http_status = 422


class AudioDecodeError(AudioError):
    """The bytes are not audio we can decode (corrupt, truncated, unknown format)."""

    code = "audio_unreadable"


class EmptyAudioError(AudioError):
    code = "audio_empty"


class AudioTooShortError(AudioError):
    code = "audio_too_short"


class AudioTooLongError(AudioError):
    code = "audio_too_long"
    http_status = 413


class SilentAudioError(AudioError):
    code = "audio_silent"


class NonFiniteAudioError(AudioError):
    code = "audio_non_finite"


# --- text ------------------------------------------------------------------
class TextError(PronscoreError):
    code = "text_error"
    http_status = 422


class EmptyTextError(TextError):
    code = "text_empty"


class UnknownCharacterError(TextError):
    code = "text_unknown_characters"


class PronunciationNotFoundError(TextError):
    """A word has no pronunciation in any lexicon and no G2P could produce one."""

    code = "pronunciation_not_found"


class LexiconError(TextError):
    code = "lexicon_invalid"


class UnsupportedLanguageError(TextError):
    code = "language_unsupported"


# --- models ----------------------------------------------------------------
class ModelError(PronscoreError):
    """A model could not be loaded or run (missing file, missing optional dependency)."""

    code = "model_error"
    exit_code = 3
    http_status = 500


class ModelNotFoundError(ModelError):
    code = "model_not_found"
    http_status = 400


class MissingDependencyError(ModelError):
    code = "missing_dependency"


class AlignmentTimingError(PronscoreError):
    """Word or phone times are reversed, non-finite or past the end of the audio."""

    code = "alignment_timing_invalid"
    http_status = 500


class CoachError(PronscoreError):
    """The LLM coach could not be reached or gave an unusable answer."""

    code = "coach_unavailable"
    http_status = 502


class CorpusError(PronscoreError):
    """A corpus directory does not follow the expected layout."""

    code = "corpus_invalid"
