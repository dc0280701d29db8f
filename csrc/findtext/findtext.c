/* dualrel._findtext: the per-finding texts of a check made in bulk from its columns.
 *
 * A check at a million people makes about a hundred thousand findings, and each needs
 * three texts whatever holds it: its fingerprint (the sha256 of a canonical JSON text of
 * what it is about), its sort key's text and its text in the JSON report. Written in the
 * interpreter they were most of the time after evaluation; here each is one C loop over
 * the columns of dualrel.finding_table. Every text is the one the Python code it stands
 * for writes (dualrel.findings.fingerprint, dualrel.findings._ordered_text,
 * dualrel.report.json_report): the tests hold them to each other.
 *
 * Its parts: keys.c (fingerprints, sort texts), report.c (the JSON report's findings),
 * columns.c (the columns around them), text.h (what they share), sha256.c.
 * Portable C99 against the stable parts of the CPython API; no other library.
 */
#include "findtext.h"

/* -- the module ---------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"fingerprints", ft_fingerprints, METH_VARARGS, ft_fingerprints_doc},
    {"ordered_texts", ft_ordered_texts, METH_VARARGS, ft_ordered_texts_doc},
    {"finding_texts", ft_finding_texts, METH_VARARGS, ft_finding_texts_doc},
    {"instances", ft_instances, METH_VARARGS, ft_instances_doc},
    {"dicts", ft_dicts, METH_O, ft_dicts_doc},
    {"attributes", ft_attributes, METH_VARARGS, ft_attributes_doc},
    {"looked_up", ft_looked_up, METH_VARARGS, ft_looked_up_doc},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualrel._findtext",
    "The per-finding texts of a check made in bulk from its columns.", -1, methods};

PyMODINIT_FUNC PyInit__findtext(void)
{
    if (ft_report_init() < 0) {
        return NULL;
    }
    return PyModule_Create(&module);
}
