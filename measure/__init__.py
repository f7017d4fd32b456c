"""What a run costs while it runs: event-loop lag, CPU, a process tree's memory, live bars."""
