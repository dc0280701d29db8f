/* The functions of dualrel._findtext, by the part that defines them (findtext.c holds
 * the module). */
#ifndef DUALREL_FINDTEXT_H
#define DUALREL_FINDTEXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* keys.c */
extern const char ft_fingerprints_doc[];
PyObject *ft_fingerprints(PyObject *self, PyObject *args);
extern const char ft_ordered_texts_doc[];
PyObject *ft_ordered_texts(PyObject *self, PyObject *args);

/* report.c */
extern const char ft_finding_texts_doc[];
PyObject *ft_finding_texts(PyObject *self, PyObject *args);
int ft_report_init(void); /* the datetime API and the field names it reads: -1 on error */

/* columns.c */
extern const char ft_dicts_doc[];
PyObject *ft_dicts(PyObject *self, PyObject *arg);
extern const char ft_looked_up_doc[];
PyObject *ft_looked_up(PyObject *self, PyObject *args);
extern const char ft_attributes_doc[];
PyObject *ft_attributes(PyObject *self, PyObject *args);
extern const char ft_instances_doc[];
PyObject *ft_instances(PyObject *self, PyObject *args);

#endif
