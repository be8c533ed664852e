// Version.swift — the version printed by `gradus --version` and recorded in files Gradus writes.

let gradusVersion = "0.1.0"
