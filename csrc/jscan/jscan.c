/* dualrel.graph._jscan: the records of a JSON array as JSON Lines, a block at a time.
 *
 * A JSON document's "people" or "ties" array may be laid out any way JSON allows: a
 * record over several lines, the whole document on one line, CRLF line ends.  records()
 * turns the complete records of a block of such an array into one compact object a line
 * (white space outside texts dropped, ": " after every colon, so that pyarrow's JSON
 * reader parses each line as one row), and notes where each record's "{" is: its line
 * (line ends counted as the document reader counts them) and its byte offset.  Texts
 * are copied as they are but for the escapes \uXXXX and \/, written as the UTF-8
 * of their character when that is no quote, backslash or control character (JSON writers
 * escape every character beyond ASCII by default); the other escapes stay, and the
 * caller refuses them.
 * Only the structure of the array is checked here: records are objects, separated by
 * commas, brackets balanced; whatever else is wrong is left to the JSON parser that reads
 * the lines.  A lone carriage return outside a text is refused (ValueError): the document
 * reader counts it as a line break, and this scan does not.
 *
 * pyarrow's JSON reader, which parses the lines, reads null as absent; the line and
 * document readers do not.  So each scan notes, as it goes, which records give null for
 * which field (a byte a record, see lines()) and the keys of every "attributes" object
 * (the parse's schema): records() for a document, lines() for a block of a JSON Lines
 * file, which also gives the byte offset of each line.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* what the scan expects next */
enum { FIRST = 0, ITEM = 1, AFTER = 2, DONE = 3 };

typedef struct {
    char *p;
    Py_ssize_t len, cap;
} Buf;

static int put(Buf *b, const void *src, Py_ssize_t n) {
    if (b->len + n > b->cap) {
        Py_ssize_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *q = PyMem_Realloc(b->p, (size_t)cap);
        if (q == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, (size_t)n);
    b->len += n;
    return 0;
}

static int hex4(const unsigned char *s) {
    int v = 0;
    for (int i = 0; i < 4; ++i) {
        unsigned char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The escape at s[0] (a backslash) as the UTF-8 it stands for, in plain (*used: the bytes
 * of the escape): \/ and \uXXXX (a surrogate pair as one character), which JSON
 * writers use for any character beyond ASCII, so that a text the parser reads is the
 * text the document holds.  0: kept as written (a quote, a backslash, a control
 * character, a lone surrogate: the caller refuses them); -1: the block ends first. */
static int unescaped(const unsigned char *s, Py_ssize_t n, char *plain, Py_ssize_t *used) {
    if (s[1] == '/') {
        plain[0] = '/';
        *used = 2;
        return 1;
    }
    if (s[1] != 'u') return 0;
    if (n < 6) return -1;
    int cp = hex4(s + 2);
    if (cp < 0x20 || cp == '"' || cp == '\\') return 0;
    *used = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (n < 12) return -1;
        int low = s[6] == '\\' && s[7] == 'u' ? hex4(s + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF) return 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        *used = 12;
    }
    if (cp < 0x80) {
        plain[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        plain[0] = (char)(0xC0 | (cp >> 6));
        plain[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        plain[0] = (char)(0xE0 | (cp >> 12));
        plain[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        plain[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    plain[0] = (char)(0xF0 | (cp >> 18));
    plain[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    plain[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    plain[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The key the scan of a line is under: where it is in the block. */
typedef struct {
    Py_ssize_t at, len;
} Key;

static int same_key(const unsigned char *s, Key k, const char *name, Py_ssize_t len) {
    return k.len == len && memcmp(s + k.at, name, (size_t)len) == 0;
}

/* What a scan notes of nulls and attribute keys (see lines()). */
typedef struct {
    const char *names[7];
    Py_ssize_t sizes[7], count;
    PyObject *keys;    /* the attribute keys: a set of bytes */
    PyObject *last;    /* the key added last (most records have the same one) */
    int any;           /* every record's mask or-ed */
} Nulls;

static int nulls_start(Nulls *z, PyObject *fields) {
    z->count = PyTuple_GET_SIZE(fields);
    z->keys = z->last = NULL;
    z->any = 0;
    if (z->count > 7) {
        PyErr_SetString(PyExc_ValueError, "at most 7 fields");
        return -1;
    }
    for (Py_ssize_t f = 0; f < z->count; ++f) {
        PyObject *name = PyTuple_GET_ITEM(fields, f);
        if (!PyBytes_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "fields are bytes");
            return -1;
        }
        z->names[f] = PyBytes_AS_STRING(name);
        z->sizes[f] = PyBytes_GET_SIZE(name);
    }
    z->keys = PySet_New(NULL);
    return z->keys == NULL ? -1 : 0;
}

/* The bit of a null at ``depth`` (the record's object: 1) under the key ``field``. */
static unsigned char null_bit(const Nulls *z, long depth, const unsigned char *s, Key field) {
    for (Py_ssize_t f = 0; depth == 1 && f < z->count; ++f)
        if (same_key(s, field, z->names[f], z->sizes[f])) return (unsigned char)(1 << f);
    return 0x80;
}

/* ``s[text]``, a key at ``depth`` under the record's key ``field``: noted when it is one
 * of its attributes. */
static int attribute_key(Nulls *z, long depth, const unsigned char *s, Key field, Key text) {
    if (depth != 2 || !same_key(s, field, "attributes", 10)) return 0;
    if (z->last != NULL && PyBytes_GET_SIZE(z->last) == text.len &&
        memcmp(PyBytes_AS_STRING(z->last), s + text.at, (size_t)text.len) == 0)
        return 0;
    PyObject *key = PyBytes_FromStringAndSize((const char *)s + text.at, text.len);
    if (key == NULL || PySet_Add(z->keys, key) < 0) {
        Py_XDECREF(key);
        return -1;
    }
    Py_XSETREF(z->last, key);
    return 0;
}

/* One object from s[i] ('{') copied compact to out->p + out->len, which has room for
 * twice what is left of the block (a colon is written as two bytes, nothing longer);
 * its nulls noted in *mask and z as lines() notes them, *escaped set when an escape is
 * kept as written.  -2: an error (raised); -1: malformed; 0: the block ends first; 1: a
 * complete object ends at *end. */
static int object(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, long *line,
                  Py_ssize_t *end, Buf *out, Nulls *z, unsigned char *mask, int *escaped) {
    long depth = 0;
    char *o = out->p + out->len;
    const unsigned char *written = (const unsigned char *)out->p;
    Key text = {0, -1}, field = {0, -1};
    while (i < n) {
        unsigned char c = s[i];
        if (c == '"') {
            Py_ssize_t k = i + 1, from = i;
            char *opened = o;
            while (k < n) {
                unsigned char t = s[k];
                if (t == '"') break;
                if (t < 0x20) return -1; /* a control character: not JSON */
                if (t != '\\') {
                    ++k;
                    continue;
                }
                if (k + 1 >= n) return 0;
                Py_ssize_t used = 0;
                char plain[4];
                int size = unescaped(s + k, n - k, plain, &used);
                if (size < 0) return 0;
                if (size == 0) { /* kept as it is written */
                    *escaped = 1;
                    k += 2;
                    continue;
                }
                memcpy(o, s + from, (size_t)(k - from));
                o += k - from;
                memcpy(o, plain, (size_t)size);
                o += size;
                k += used;
                from = k;
            }
            if (k >= n) return 0;
            memcpy(o, s + from, (size_t)(k + 1 - from));
            o += k + 1 - from;
            text.at = opened + 1 - out->p;
            text.len = o - 1 - (opened + 1);
            i = k + 1;
            continue;
        }
        if (c == 'n' && i + 4 <= n && memcmp(s + i, "null", 4) == 0) {
            *mask |= null_bit(z, depth, written, field);
            memcpy(o, "null", 4);
            o += 4;
            i += 4;
            continue;
        }
        switch (c) {
        case ' ':
        case '\t':
            break;
        case '\n':
            ++*line;
            break;
        case '\r':
            if (i + 1 >= n) return 0;
            if (s[i + 1] != '\n') return -1;
            break; /* the line is counted at its '\n' */
        case ':': /* after a key (none in text that is no JSON: the parser refuses it) */
            if (text.len >= 0 && depth == 1) field = text;
            else if (text.len >= 0 && attribute_key(z, depth, written, field, text) < 0)
                return -2;
            text.len = -1;
            *o++ = ':';
            *o++ = ' ';
            break;
        case '{':
        case '[':
            ++depth;
            *o++ = (char)c;
            break;
        case '}':
        case ']':
            *o++ = (char)c;
            if (--depth == 0) {
                out->len = o - out->p;
                *end = i + 1;
                return 1;
            }
            break;
        default:
            *o++ = (char)c;
        }
        ++i;
    }
    return 0;
}

static PyObject *records(PyObject *self, PyObject *args) {
    Py_buffer view;
    long line;
    int state;
    long long base;
    PyObject *fields;
    Nulls z = {0};
    (void)self;
    if (!PyArg_ParseTuple(args, "y*liLO!", &view, &line, &state, &base, &PyTuple_Type, &fields))
        return NULL;
    if (nulls_start(&z, fields) < 0) {
        PyBuffer_Release(&view);
        Py_XDECREF(z.keys);
        return NULL;
    }
    const unsigned char *s = view.buf;
    Py_ssize_t n = view.len, i = 0;
    Buf out = {0}, lines = {0}, starts = {0}, masks = {0};
    int failed = 0, escaped = 0;
    /* room for every record of the block at once, each colon two bytes, a line end each */
    out.cap = 2 * n + 1;
    out.p = PyMem_Malloc((size_t)out.cap);
    if (out.p == NULL) {
        PyBuffer_Release(&view);
        Py_XDECREF(z.keys);
        return PyErr_NoMemory();
    }
    while (state != DONE) {
        /* white space between records */
        while (i < n) {
            unsigned char c = s[i];
            if (c == ' ' || c == '\t') {
                ++i;
            } else if (c == '\n') {
                ++line;
                ++i;
            } else if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
                ++i;
            } else {
                break;
            }
        }
        if (i >= n || (s[i] == '\r' && i + 1 >= n)) break; /* the rest in the next block */
        unsigned char c = s[i];
        if (state == AFTER || (state == FIRST && c == ']')) {
            if (c == ']') {
                state = DONE;
            } else if (c == ',') {
                state = ITEM;
            } else {
                failed = -1;
                break;
            }
            ++i;
            continue;
        }
        if (c != '{') {
            failed = -1;
            break;
        }
        long at = line;
        Py_ssize_t end = 0;
        unsigned char mask = 0;
        int got = object(s, n, i, &line, &end, &out, &z, &mask, &escaped);
        if (got <= 0) {
            line = at;
            failed = got;
            break; /* the record is read again, whole, with the next block */
        }
        long long offset = base + (long long)i;
        out.p[out.len++] = '\n';
        z.any |= mask;
        if (put(&lines, &at, sizeof at) < 0 ||
            put(&starts, &offset, sizeof offset) < 0 || put(&masks, &mask, 1) < 0) {
            failed = -2;
            break;
        }
        i = end;
        state = AFTER;
    }
    PyBuffer_Release(&view);
    PyObject *result = NULL;
    if (failed == -1) {
        PyErr_SetString(PyExc_ValueError, "not an array of objects");
    } else if (failed == 0) {
        result = Py_BuildValue("y#y#y#nliy#Oii", out.p ? out.p : "", out.len,
                               lines.p ? lines.p : "", lines.len, starts.p ? starts.p : "",
                               starts.len, i, line, state, masks.p ? masks.p : "", masks.len,
                               z.keys, z.any, escaped);
    }
    PyMem_Free(out.p);
    PyMem_Free(lines.p);
    PyMem_Free(starts.p);
    PyMem_Free(masks.p);
    Py_XDECREF(z.keys);
    Py_XDECREF(z.last);
    return result;
}

/* A JSON Lines block checked for what pyarrow's reader cannot tell (see lines()). */
static PyObject *lines(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *fields, *masks = NULL, *starts = NULL;
    long long base;
    Nulls z = {0};
    (void)self;
    if (!PyArg_ParseTuple(args, "y*O!L", &view, &PyTuple_Type, &fields, &base)) return NULL;
    if (nulls_start(&z, fields) < 0) goto fail;
    const unsigned char *s = view.buf;
    Py_ssize_t n = view.len;
    Py_ssize_t rows = 0;
    for (const unsigned char *p = s; (p = memchr(p, '\n', (size_t)(s + n - p))) != NULL; ++p)
        ++rows;
    if (n && s[n - 1] != '\n') ++rows;
    masks = PyBytes_FromStringAndSize(NULL, rows);
    starts = PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(long long));
    if (masks == NULL || starts == NULL) goto fail;
    unsigned char *mask = (unsigned char *)PyBytes_AS_STRING(masks);
    memset(mask, 0, (size_t)rows);
    long long *start = (long long *)PyBytes_AS_STRING(starts);
    if (rows) start[0] = base;
    Py_ssize_t row = 0, i = 0;
    long depth = 0;
    Key field = {0, -1};
    const char *refused = NULL;
    while (i < n && refused == NULL) {
        unsigned char c = s[i];
        if (c == '"') {
            Py_ssize_t k = i + 1;
            while (k < n && s[k] != '"' && s[k] != '\\' && s[k] != '\n' && s[k] != '\r') ++k;
            if (k >= n || s[k] != '"') {
                refused = "an escape, a line break in a text or a text not closed";
                break;
            }
            Key text = {i + 1, k - i - 1};
            /* a key is the text a colon follows */
            Py_ssize_t j = k + 1;
            while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) ++j;
            if (j < n && s[j] == ':') {
                if (depth == 1) field = text;
                else if (attribute_key(&z, depth, s, field, text) < 0) goto fail;
            }
            i = k + 1;
            continue;
        }
        switch (c) {
        case '\\':
            refused = "an escape";
            break;
        case '\r':
            if (i + 1 >= n || s[i + 1] != '\n') refused = "a carriage return";
            break;
        case '\n':
            if (++row < rows) start[row] = base + (long long)(i + 1);
            depth = 0;
            field.len = -1;
            break;
        case '{':
        case '[':
            ++depth;
            break;
        case '}':
        case ']':
            --depth;
            break;
        case 'n':
            if (i + 4 <= n && memcmp(s + i, "null", 4) == 0) {
                unsigned char bit = null_bit(&z, depth, s, field);
                mask[row] |= bit;
                z.any |= bit;
                i += 3;
            }
            break;
        default:
            break;
        }
        ++i;
    }
    if (refused != NULL) {
        PyErr_SetString(PyExc_ValueError, refused);
        goto fail;
    }
    PyBuffer_Release(&view);
    Py_XDECREF(z.last);
    return Py_BuildValue("nNNiN", rows, masks, z.keys, z.any, starts);
fail:
    PyBuffer_Release(&view);
    Py_XDECREF(masks);
    Py_XDECREF(starts);
    Py_XDECREF(z.keys);
    Py_XDECREF(z.last);
    return NULL;
}

static PyMethodDef methods[] = {
    {"records", records, METH_VARARGS,
     "records(block, line, state, base, fields)\n"
     "    -> (text, lines, starts, used, line, state, masks, keys, any, escaped)\n\n"
     "The complete records of ``block`` (part of a JSON array, from its '[' or the end\n"
     "of the previous call's ``used``), one compact object a line; the line of each\n"
     "record's '{' (C longs), its byte offset (``base`` plus its place in ``block``, C\n"
     "long longs), the bytes used, the line and state to go on with.  ``state``: 0 at\n"
     "the array's '[', 1 after a comma, 2 after a record, 3 after the closing ']'.\n"
     "``masks``, ``keys``, ``any``: what lines() gives of the text; ``escaped``: an\n"
     "escape is kept as written (in the text, or in a record read again next call)."},
    {"lines", lines, METH_VARARGS,
     "lines(block, fields, base) -> (rows, masks, keys, any, starts)\n\n"
     "A block of JSON Lines (whole lines) as pyarrow's reader cannot see it: its lines\n"
     "(``rows``); for each line a byte (``masks``) with bit f set when it gives null for\n"
     "``fields[f]`` (bytes, at most 7) of its object, bit 7 for a null anywhere else (in\n"
     "a nested object or array, or for another field); ``any``, every mask or-ed; the\n"
     "keys of every ``attributes`` object (a set of bytes); where each line starts\n"
     "(``base`` plus its place in the block, C long longs).  ValueError for a backslash,\n"
     "a carriage return not before a line feed, a text not closed on its line.\n"
     "Texts are told from the rest by their quotes (there is no escape), keys from\n"
     "texts by the colon after them; the rest of the JSON is left to the parser."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_jscan",
                                    "The records of a JSON array as JSON Lines.", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__jscan(void) { return PyModule_Create(&module); }
