"""Where snapshots come from and go to: CSV folders, XLSX workbooks, the live source APIs."""
