"""The roster import's and the unit list's limits (issue 17), shared by the gateway that reads the
upload and the units service that reads the workbook."""
import os

# bytes of one .xlsx roster file (DUDAO_ROSTER_MAX_BYTES)
ROSTER_FILE_LIMIT = int(os.environ.get("DUDAO_ROSTER_MAX_BYTES", str(4 << 20)))
ROSTER_MAX_ROWS = 10_000  # members one file may enrol
UNIT_LIST_MAX_ROWS = 500  # units one office's list may register (a county has a few hundred)
