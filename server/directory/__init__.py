"""The directory of civil-society organisations (issue 14): reference data (oblasts and
municipalities), the official transliteration used to find names in either script, and the
check of registration numbers (ЕИК/БУЛСТАТ). Pure Python: no I/O beyond reading the shipped
reference file once."""
