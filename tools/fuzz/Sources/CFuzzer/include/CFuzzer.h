// CFuzzer.h — libFuzzer's driver entry point (compiler-rt FuzzerInterface.h). SwiftPM links every
// executable with `main` renamed to `<Target>_main`, so the fuzz targets cannot use libFuzzer's
// own `main`; each has an `@main` that hands its callback to this function instead.
#pragma once
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
