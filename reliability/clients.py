"""Scripts run as another process by the harness and the tests: the clients a user has."""

# A BI tool or script that opened a DuckDB file read-write and changed it: `kill` dies before
# the WAL is checkpointed into the file (as a killed tool does), `hold` keeps the session open
# until stdin closes. argv: path, kill|hold, SQL.
WAL_HOLDER = """
import duckdb, os, signal, sys
con = duckdb.connect(sys.argv[1])
con.execute("SET checkpoint_threshold = '1GB'")
con.execute(sys.argv[3])
print("ready", flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""
