"""The no-change shortcut of ``seedfeed build`` (cron's common case), decided before the pipeline is imported.

A clean build (nothing reported, state and output local, seed folders only) leaves a *stamp* beside the state
file: what the run was given (arguments, working folder, environment, code), the stat of every file a no-change
run depends on (config, state, the output files it looks for) and, for each folder of each feed's seeds, the
(name, size, mtime) of the documents the state holds there, read back from the state after the run.

The next ``seedfeed build`` with the same arguments checks the stamp under the run lock and walks the seed
folders (``scandir`` + ``stat``, what a bare walk does). Then:

* everything is as stamped: it records the run's ``built_at`` (what a no-change run writes) and exits, without
  importing the pipeline, the store or the renderers -- most of a no-change run's cost at 10,000 documents;
* only documents differ: the run is told the paths in the folders that differ (as the daemon's file events do),
  so it looks at those instead of comparing every stored document; the stamp is then updated for those folders;
* anything else differs (arguments, environment, config, code, state, output): a full run.

The stamp never claims more than the state: its documents come from the state, so "nothing changed" is decided
exactly as a full walk decides it (by size and mtime). Any other writer of the state (the daemon, another command,
a build with other arguments) changes the state file's stat, which voids the stamp.
"""

from .check import Verdict, check
from .stamp import Stamping

__all__ = ["Stamping", "Verdict", "check"]
