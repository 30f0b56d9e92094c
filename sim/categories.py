"""Every category of the model, with its name and its integer code, in one table.

Kernels store categories as small integers (in int8 arrays: a tie's channel, a relationship's stage
and exit, an agent's role); outputs and configs use the names. Each category is an
:class:`enum.IntEnum` here, so code reads ``Stage.SEXUAL_COMMUNICATION`` and ``Channel.SEARCH``
(Numba compiles the members as constants), the output name is ``member.name.lower()`` (see
:func:`names`), and a test checks that every name and code round-trips.

Never renumber a member: codes are stored in run outputs (``relationships()``) and some are part of
random keys.
"""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    """What an agent is (``Population.role``)."""

    CHILD = 0
    CONTACT = 1  # a benign account: parent, relative, teacher or coach, other adult
    OFFENDER = 2


class ContactKind(IntEnum):
    """The kind of a benign adult (``Population.contact_kind``; -1 for children and offenders)."""

    PARENT = 0
    TEACHER_OR_COACH = 1
    RELATIVE = 2
    OTHER_ADULT = 3  # colleagues, neighbours, strangers online


class Stage(IntEnum):
    """Grooming stages of an offender-child relationship, in order (0: no relationship)."""

    NONE = 0
    CONTACTED = 1
    ENGAGED = 2
    TRUST = 3
    ISOLATION = 4
    SEXUAL_COMMUNICATION = 5  # the police-recorded offence of sexual communication with a child
    IMAGE = 6  # self-generated imagery
    COERCION_OR_MEETING = 7


class Exit(IntEnum):
    """How a relationship ended (``relationships()["exit"]``; ACTIVE while it goes on)."""

    ACTIVE = 0
    DECLINED = 1  # the child did not accept the first contact
    BLOCKED = 2
    REPORTED = 3
    GUARDIAN = 4  # a guardian's cue made the offender stop
    ABANDONED = 5
    BANNED = 6  # the offender's account on the relationship's platform was banned
    COMPLETED = 7  # reached the last stage
    CHILD_LEFT = 8  # the child turned 18 and left the child population
    OFFENDER_LEFT = 9  # the offender desisted or was arrested


class Channel(IntEnum):
    """How a tie began. Every tie carries one; the first four are offline structure."""

    HOUSEHOLD = 0
    SCHOOL = 1
    CLUB = 2
    ADULT_NETWORK = 3
    SUGGESTION = 4  # friend suggestions ("people you may know"), either direction
    SEARCH = 5
    LOCATION = 6
    LIVESTREAM = 7
    GAMING = 8
    ORGANIC = 9  # ordinary benign growth
    CONNECTIONS = 10  # found through a child's visible connection list


class Route(IntEnum):
    """The routes of offender outreach, in the order of ``grooming.channel_weights_*`` and of the
    platform features that open them."""

    SEARCH = 0
    LOCATION = 1
    LIVESTREAM = 2
    GAMING = 3
    CONNECTIONS = 4


#: The tie channel a contact made through each outreach route records.
ROUTE_CHANNEL = (Channel.SEARCH, Channel.LOCATION, Channel.LIVESTREAM, Channel.GAMING, Channel.CONNECTIONS)


class Rule(IntEnum):
    """Friend-suggestion scoring rules (``platforms.<name>.suggestion_rule``)."""

    COMMON_NEIGHBORS = 0
    JACCARD = 1
    ADAMIC_ADAR = 2
    PREFERENTIAL_ATTACHMENT = 3


class Strategy(IntEnum):
    """An offender's strategy (``Population.strategy``)."""

    SCATTERGUN = 0  # mass outreach, fast escalation
    TARGETED = 1  # selective, slower trust-building


class Proposal(IntEnum):
    """What a shown friend suggestion turns into."""

    BENIGN = 0  # a benign pair: may become a tie
    OFFENDER_TO_CHILD = 1  # an offender acts on a child suggested to it (a contact attempt)
    CHILD_TO_OFFENDER = 2  # a child sends a request to an offender suggested to it


class Source(IntEnum):
    """Where a review-queue item comes from (moderation)."""

    REPORT = 0  # a child's report
    SHARED = 1  # a signal shared by another platform
    FLAG = 2  # a detector flag
    BEHAVIOUR = 3  # an account-level behavioural signal (no content; behavioural_signals)


class SuggestionMode(IntEnum):
    """``interventions.no_suggestions_for_minors.mode``."""

    DISABLED = 0  # known minors see no suggestions and appear in none
    NO_ADULTS = 1  # no adult <-> known-minor suggestions either way
    MUTUAL_THRESHOLD = 2  # a known minor is suggested only with enough mutual friends


#: Age bands of the outputs (children's ages 8..17).
AGE_BANDS = ("8-11", "12-13", "14-15", "16-17")
#: Upper age of each band, in order.
AGE_BAND_TOP = (11, 13, 15, 17)
#: Platform sets are an 8-bit mask per tie, so at most this many platforms.
MAX_PLATFORMS = 8


def names(enum: type[IntEnum], skip_zero: bool = False) -> tuple[str, ...]:
    """The output names of ``enum``'s members in code order (``Stage`` -> "contacted", ...).

    Args:
        enum: one of the categories above.
        skip_zero: leave out the member with code 0 (``Stage.NONE``).
    """
    return tuple(m.name.lower() for m in enum if not (skip_zero and m.value == 0))


def member(enum: type[IntEnum], name: str) -> IntEnum:
    """The member of ``enum`` called ``name`` (its output name, e.g. "adamic_adar")."""
    return enum[name.upper()]


#: Output names used across the project (outputs, configs and reports).
STAGES = names(Stage, skip_zero=True)
CHANNELS = names(Channel)
RULES = names(Rule)
ROUTES = names(Route)
EXITS = names(Exit)
CONTACT_KINDS = names(ContactKind)
SUGGESTION_MODES = names(SuggestionMode)
