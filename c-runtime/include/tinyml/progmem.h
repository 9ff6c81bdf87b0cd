/*
 * TinyML Lab C runtime: where a model's constant tables live, and how they are read.
 *
 * On most cores a `static const` table is read like any other memory. AVR (ATmega) is a
 * Harvard machine: plain `const` data is copied into its 2 KB of RAM at start-up, so a model
 * would spend its RAM on tables. There, TML_CONST_TABLE puts a table in program memory
 * (PROGMEM) and the TML_READ_* accessors read one element of it with the LPM instruction
 * (avr-libc's pgm_read_*). Everywhere else the qualifier is empty and an accessor is a plain
 * read, so the compiled code is the same as without them.
 *
 * Rule: every element of a table declared with TML_CONST_TABLE, and every table a model's
 * descriptor points at, is read through TML_READ_*(pointer to the element); input rows,
 * outputs and buffers (RAM) are read directly. A struct kept in such a table (a net's layer
 * descriptors) is copied whole into RAM with TML_READ_STRUCT where TML_SEPARATE_PROGRAM_MEMORY
 * is 1, and read in place elsewhere.
 */
#ifndef TINYML_PROGMEM_H
#define TINYML_PROGMEM_H

#include <stdint.h>

#if defined(__AVR__)
#include <avr/pgmspace.h>

#define TML_CONST_TABLE PROGMEM
#define TML_SEPARATE_PROGRAM_MEMORY 1
#define TML_READ_STRUCT(destination, source) memcpy_P((destination), (source), sizeof *(destination))
#define TML_READ_U8(p) ((uint8_t)pgm_read_byte(p))
#define TML_READ_I8(p) ((int8_t)pgm_read_byte(p))
#define TML_READ_U16(p) ((uint16_t)pgm_read_word(p))
#define TML_READ_I16(p) ((int16_t)pgm_read_word(p))
#define TML_READ_U32(p) ((uint32_t)pgm_read_dword(p))
#define TML_READ_I32(p) ((int32_t)pgm_read_dword(p))
#define TML_READ_F32(p) pgm_read_float(p)
#else
#define TML_CONST_TABLE
#define TML_SEPARATE_PROGRAM_MEMORY 0
#define TML_READ_STRUCT(destination, source) ((void)(*(destination) = *(source)))
#define TML_READ_U8(p) (*(p))
#define TML_READ_I8(p) (*(p))
#define TML_READ_U16(p) (*(p))
#define TML_READ_I16(p) (*(p))
#define TML_READ_U32(p) (*(p))
#define TML_READ_I32(p) (*(p))
#define TML_READ_F32(p) (*(p))
#endif

#endif /* TINYML_PROGMEM_H */
