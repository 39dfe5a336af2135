"""Readable run names such as ``brisk-otter-42``."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber azure bold brave brisk calm clever cosmic crisp dapper eager fancy fleet gentle "
    "glad golden grand happy hardy humble jolly keen kind lively lucky merry mighty nimble "
    "noble polite proud quick quiet rapid rosy rustic serene sharp shiny silent sleek smart "
    "snappy spry steady sunny swift tidy upbeat vivid warm wise witty zesty"
).split()
_NOUNS = (
    "badger bear beaver bison cheetah cobra condor crane deer dolphin eagle falcon ferret "
    "finch fox gecko heron ibis jaguar koala lemur lion lynx magpie marten mole moose newt "
    "otter owl panda panther parrot pelican penguin puffin quail raven robin salmon seal "
    "shark sloth sparrow stork swan tiger toucan turtle walrus whale wolf wren yak zebra"
).split()


def readable_name(rng: random.Random | None = None) -> str:
    """Return a fresh human-friendly name like ``brisk-otter-42``."""
    r = rng or random
    return f"{r.choice(_ADJECTIVES)}-{r.choice(_NOUNS)}-{r.randint(10, 99)}"
