/* What the parts of dualrel._findtext share: a growing byte buffer, JSON strings (both
 * escapings), a finding's subjects sorted by variable and the checks of the columns.
 * Everything here is static inline: each part has its own copy, nothing is exported. */
#ifndef DUALREL_FINDTEXT_TEXT_H
#define DUALREL_FINDTEXT_TEXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

/* -- a growing byte buffer ------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} Buf;

static inline int buf_grow(Buf *b, size_t more)
{
    if (b->len + more <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        cap *= 2;
    }
    char *data = PyMem_Realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline int buf_put(Buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

#define PUT_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

static const char HEX[] = "0123456789abcdef";

/* -- JSON strings ------------------------------------------------------------------------ */

/* a str as json.encoder.encode_basestring writes it (what pydantic writes too), in UTF-8:
 * '"' and '\\' escaped, control characters as \n, \r, \t, \b, \f or \u00XX; the rest as is */
static inline int put_quoted(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p == NULL) {
        return -1;
    }
    /* at most six bytes per byte, and the quotes */
    if (buf_grow(b, (size_t)n * 6 + 2) < 0) {
        return -1;
    }
    char *out = b->data + b->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = HEX[c >> 4];
            *out++ = HEX[c & 15];
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    return 0;
}

static inline void put_u_escape(char **out, Py_UCS4 c)
{
    char *o = *out;
    *o++ = '\\';
    *o++ = 'u';
    *o++ = HEX[(c >> 12) & 15];
    *o++ = HEX[(c >> 8) & 15];
    *o++ = HEX[(c >> 4) & 15];
    *o++ = HEX[c & 15];
    *out = o;
}

/* a str as json.encoder.encode_basestring_ascii writes it: what json.dumps writes with
 * ensure_ascii (the fingerprint's text); a character past U+FFFF as a surrogate pair */
static inline int put_ascii_quoted(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (buf_grow(b, (size_t)n * 12 + 2) < 0) {
        return -1;
    }
    char *out = b->data + b->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ' ' && c <= '~' && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        switch (c) {
        case '"': *out++ = '\\'; *out++ = '"'; break;
        case '\\': *out++ = '\\'; *out++ = '\\'; break;
        case '\n': *out++ = '\\'; *out++ = 'n'; break;
        case '\r': *out++ = '\\'; *out++ = 'r'; break;
        case '\t': *out++ = '\\'; *out++ = 't'; break;
        case '\b': *out++ = '\\'; *out++ = 'b'; break;
        case '\f': *out++ = '\\'; *out++ = 'f'; break;
        default:
            if (c >= 0x10000) {
                Py_UCS4 v = c - 0x10000;
                put_u_escape(&out, 0xd800 | ((v >> 10) & 0x3ff));
                put_u_escape(&out, 0xdc00 | (v & 0x3ff));
            } else {
                put_u_escape(&out, c);
            }
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    return 0;
}

/* -- a finding's subjects, sorted by variable ------------------------------------------ */

typedef struct {
    PyObject *pairs[2 * 16]; /* key, value, ... */
    PyObject **items;        /* pairs, or a larger allocation */
    PyObject *mapping;       /* a dict made of a mapping that is not one (owned) */
    Py_ssize_t n;
} Subjects;

static inline void subjects_done(Subjects *s)
{
    if (s->items != s->pairs) {
        PyMem_Free(s->items);
    }
    Py_CLEAR(s->mapping);
}

/* the items of ``m`` (borrowed), sorted as sorted(m.items()) sorts them: by key, keys
 * being distinct; keys and values must be str */
static inline int subjects_of(Subjects *s, PyObject *m)
{
    s->items = s->pairs;
    s->mapping = NULL;
    s->n = 0;
    if (!PyDict_Check(m)) {
        s->mapping = PyDict_New();
        if (s->mapping == NULL || PyDict_Merge(s->mapping, m, 1) < 0) {
            return -1;
        }
        m = s->mapping;
    }
    Py_ssize_t n = PyDict_GET_SIZE(m);
    if (n > 16) {
        s->items = PyMem_Malloc(sizeof(PyObject *) * 2 * (size_t)n);
        if (s->items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *value;
    while (PyDict_Next(m, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyUnicode_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "a finding's subjects must be str to str");
            return -1;
        }
        /* insertion sort: a finding names a few people */
        Py_ssize_t j = k;
        while (j > 0) {
            int cmp = PyUnicode_Compare(s->items[2 * (j - 1)], key);
            if (cmp == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (cmp <= 0) {
                break;
            }
            s->items[2 * j] = s->items[2 * (j - 1)];
            s->items[2 * j + 1] = s->items[2 * (j - 1) + 1];
            j--;
        }
        s->items[2 * j] = key;
        s->items[2 * j + 1] = value;
        k++;
    }
    s->n = k;
    return 0;
}

static inline int check_column(PyObject *col, Py_ssize_t n, const char *name)
{
    if (!PyList_Check(col) || PyList_GET_SIZE(col) != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected a list of %zd items", name, n);
        return -1;
    }
    return 0;
}

/* the index of a head, checked against the heads */
static inline int head_of(PyObject *rule, Py_ssize_t i, Py_ssize_t heads, Py_ssize_t *out)
{
    Py_ssize_t r = PyLong_AsSsize_t(PyList_GET_ITEM(rule, i));
    if (r == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (r < 0 || r >= heads) {
        PyErr_Format(PyExc_IndexError, "finding %zd: head %zd out of range", i, r);
        return -1;
    }
    *out = r;
    return 0;
}

static inline int put_text(Buf *b, PyObject *s)
{
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    return p == NULL ? -1 : buf_put(b, p, (size_t)n);
}

#endif
