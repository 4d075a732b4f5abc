# The catalogue, runs and runners arrive with the run-engine issue.
