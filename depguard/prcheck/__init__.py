"""Gate a pull request (Renovate's above all): read it as git objects, extract every
dependency change, and judge it against the trust policy (``depguard check-pr``).

:mod:`depguard.prcheck.gitrepo` is the only module here that runs a subprocess (git); the rest
works on the bytes and change lists it returns.
"""
