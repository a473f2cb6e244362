"""Intake of SIEI lists and referrals: pure reading, header mapping, validation and reports."""

from filrouge.intake.columns import COLUMNS, Column, HeaderMapping, map_headers
from filrouge.intake.reader import IntakeFileError, IntakeLimits, ParsedList, RawRow, read_list
from filrouge.intake.report import ImportReport, rejected_rows_csv, validate_list
from filrouge.intake.validate import (
    FieldError,
    InFileDuplicate,
    RejectedRow,
    ValidRow,
    normalized_name_key,
    split_in_file_duplicates,
    validate_row,
)

__all__ = [
    "COLUMNS",
    "Column",
    "FieldError",
    "HeaderMapping",
    "ImportReport",
    "InFileDuplicate",
    "IntakeFileError",
    "IntakeLimits",
    "ParsedList",
    "RawRow",
    "RejectedRow",
    "ValidRow",
    "map_headers",
    "normalized_name_key",
    "read_list",
    "rejected_rows_csv",
    "split_in_file_duplicates",
    "validate_list",
    "validate_row",
]
