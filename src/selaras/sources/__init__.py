"""Where snapshots come from and go to: CSV folders, XLSX workbooks, the generator."""
