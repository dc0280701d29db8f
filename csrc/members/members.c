/* dualrel.scale._members: whether each of many int64 values is in sorted int64 arrays, by
 * binary search over the arrays' own buffers (the semi-join pass's masks, memory-mapped
 * from a worker's disk: only the pages a search touches are read, and no hash set of a
 * mask is built for each block that tests its people against it). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

PyDoc_STRVAR(members_doc,
"members(haystacks, shift, needles) -> bytes\n\n"
"For each int64 of ``needles`` (a buffer), whether it is in ``haystacks[needle >> shift]``\n"
"(a sequence of buffers of int64 in ascending order), as a bitmap of len(needles) bits,\n"
"least significant bit first (Arrow's order). A needle that is negative or whose\n"
"haystack index is past the sequence's end is not found. Needles in ascending order\n"
"are searched each from where the one before ended (any order gives the same bits).");

/* The first index in values[from:n] whose value is not below x (n if none), by
 * galloping from ``from``: needles in ascending order each start where the one before
 * ended, so a search touches few pages, and those in order. */
static Py_ssize_t lower_bound(const int64_t *values, Py_ssize_t from, Py_ssize_t n, int64_t x)
{
    Py_ssize_t lo = from, step = 1, hi;
    while (lo + step < n && values[lo + step] < x) {
        lo += step;
        step *= 2;
    }
    hi = lo + step < n ? lo + step + 1 : n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (values[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int int64_view(PyObject *obj, Py_buffer *view, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0)
        return -1;
    if (view->len % 8 != 0 || ((uintptr_t)view->buf) % sizeof(int64_t) != 0) {
        PyErr_Format(PyExc_ValueError, "%s: not an aligned buffer of int64", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *members(PyObject *self, PyObject *args)
{
    PyObject *seq, *needles_obj, *fast, *out = NULL;
    int shift;
    Py_buffer needles, *views = NULL;
    Py_ssize_t count, got = 0, k, n;
    (void)self;
    if (!PyArg_ParseTuple(args, "OiO", &seq, &shift, &needles_obj))
        return NULL;
    if (shift < 0 || shift > 63) {
        PyErr_SetString(PyExc_ValueError, "shift must be in 0..63");
        return NULL;
    }
    fast = PySequence_Fast(seq, "haystacks must be a sequence of buffers");
    if (fast == NULL)
        return NULL;
    count = PySequence_Fast_GET_SIZE(fast);
    views = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Py_buffer));
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < count; got++)
        if (int64_view(PySequence_Fast_GET_ITEM(fast, got), &views[got], "a haystack") < 0)
            goto done;
    if (int64_view(needles_obj, &needles, "needles") < 0)
        goto done;
    n = needles.len / 8;
    out = PyBytes_FromStringAndSize(NULL, (n + 7) / 8);
    if (out != NULL) {
        unsigned char *bits = (unsigned char *)PyBytes_AS_STRING(out);
        const int64_t *xs = (const int64_t *)needles.buf;
        memset(bits, 0, (size_t)((n + 7) / 8));
        Py_BEGIN_ALLOW_THREADS
        {
            /* where the last needle's search ended, in its haystack: the next needle,
             * if not below it and of the same haystack, starts there */
            uint64_t last_r = (uint64_t)-1;
            int64_t last_x = 0;
            Py_ssize_t at = 0;
            for (k = 0; k < n; k++) {
                int64_t x = xs[k];
                uint64_t r;
                const int64_t *values;
                Py_ssize_t len;
                if (x < 0)
                    continue;
                r = (uint64_t)x >> shift;
                if (r >= (uint64_t)count)
                    continue;
                values = (const int64_t *)views[r].buf;
                len = views[r].len / 8;
                if (r != last_r || x < last_x)
                    at = 0;
                at = lower_bound(values, at, len, x);
                last_r = r;
                last_x = x;
                if (at < len && values[at] == x)
                    bits[k >> 3] |= (unsigned char)(1u << (k & 7));
            }
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&needles);
done:
    if (views != NULL) {
        for (k = 0; k < got; k++)
            PyBuffer_Release(&views[k]);
        PyMem_Free(views);
    }
    Py_DECREF(fast);
    return out;
}

static PyMethodDef methods[] = {
    {"members", members, METH_VARARGS, members_doc},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualrel.scale._members",
    "Whether int64 values are in sorted int64 arrays (the semi-join pass on Dask).", -1, methods};

PyMODINIT_FUNC PyInit__members(void) { return PyModule_Create(&module); }
