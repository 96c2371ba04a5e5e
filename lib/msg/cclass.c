/*
 * cclass.c -- the character class table behind scan.h (RFC 3261 §25.1).
 */
#include "scan.h"

#define A (CC_TOKEN | CC_ALNUM | CC_UNRESERVED | CC_HOST | CC_WORD)
#define X (A | CC_HEX)
#define D (A | CC_DIGIT | CC_HEX)

const uint8_t siphon_cclass_[256] = {
    ['\t'] = CC_WS, ['\r'] = CC_WS, ['\n'] = CC_WS, [' '] = CC_WS,
    ['!'] = CC_TOKEN | CC_UNRESERVED | CC_WORD,
    ['"'] = CC_WORD,
    ['%'] = CC_TOKEN | CC_WORD,
    ['\''] = CC_TOKEN | CC_UNRESERVED | CC_WORD,
    ['('] = CC_UNRESERVED | CC_WORD,
    [')'] = CC_UNRESERVED | CC_WORD,
    ['*'] = CC_TOKEN | CC_UNRESERVED | CC_WORD,
    ['+'] = CC_TOKEN | CC_WORD,
    ['-'] = CC_TOKEN | CC_UNRESERVED | CC_HOST | CC_WORD,
    ['.'] = CC_TOKEN | CC_UNRESERVED | CC_HOST | CC_WORD,
    ['/'] = CC_WORD,
    ['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D,
    ['5'] = D, ['6'] = D, ['7'] = D, ['8'] = D, ['9'] = D,
    [':'] = CC_WORD, ['<'] = CC_WORD, ['>'] = CC_WORD, ['?'] = CC_WORD,
    ['A'] = X, ['B'] = X, ['C'] = X, ['D'] = X, ['E'] = X, ['F'] = X,
    ['G'] = A, ['H'] = A, ['I'] = A, ['J'] = A, ['K'] = A, ['L'] = A,
    ['M'] = A, ['N'] = A, ['O'] = A, ['P'] = A, ['Q'] = A, ['R'] = A,
    ['S'] = A, ['T'] = A, ['U'] = A, ['V'] = A, ['W'] = A, ['X'] = A,
    ['Y'] = A, ['Z'] = A,
    ['['] = CC_WORD, ['\\'] = CC_WORD, [']'] = CC_WORD,
    ['_'] = CC_TOKEN | CC_UNRESERVED | CC_HOST | CC_WORD,
    ['`'] = CC_TOKEN | CC_WORD,
    ['a'] = X, ['b'] = X, ['c'] = X, ['d'] = X, ['e'] = X, ['f'] = X,
    ['g'] = A, ['h'] = A, ['i'] = A, ['j'] = A, ['k'] = A, ['l'] = A,
    ['m'] = A, ['n'] = A, ['o'] = A, ['p'] = A, ['q'] = A, ['r'] = A,
    ['s'] = A, ['t'] = A, ['u'] = A, ['v'] = A, ['w'] = A, ['x'] = A,
    ['y'] = A, ['z'] = A,
    ['{'] = CC_WORD, ['}'] = CC_WORD,
    ['~'] = CC_TOKEN | CC_UNRESERVED | CC_WORD,
};
