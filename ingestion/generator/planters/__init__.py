"""Planters: one function per planted typology, each adding one group to the world.

A planter receives the world, the group's index (which tags the transactions it plants, so the
truth can list them) and the group, whose members come in the order of its typology's roles.
Planters are registered, with their plan and roles, in :mod:`..registry`.
"""
