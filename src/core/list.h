/* list.h - an intrusive doubly linked list: the node lives in the owner's
 * struct, so adding and removing allocate nothing. A zeroed head is an empty
 * list. Used for each service's live sessions (stop closes them all). */
#ifndef CAMADA_LIST_H
#define CAMADA_LIST_H

#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

struct list_head {
	struct list_node *first;
};

/* The struct that holds node p as its member m. */
#define LIST_ENTRY(p, type, m) ((type *)(void *)((char *)(p) - offsetof(type, m)))

static inline void
list_push(struct list_head *h, struct list_node *n)
{
	n->prev = NULL;
	n->next = h->first;
	if (h->first)
		h->first->prev = n;
	h->first = n;
}

static inline void
list_unlink(struct list_head *h, struct list_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		h->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

#endif
