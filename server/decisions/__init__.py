"""Decisions: how a room decides — votes on proposals, amendments and polls, and their tallies.

The tallies (``tally``) are pure functions from the options and the ballots of a closed (or
running) vote to a frozen result with every figure a reader needs to check it: counts,
turnout, quorum, the rounds and transfers of instant-runoff and STV, Schulze's matrices. They
do no I/O and read no clock; the same input always gives the same output. docs/tallies.md
describes each method, its tie-breaks and the JSON form of its result.
"""
