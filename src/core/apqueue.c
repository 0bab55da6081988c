/*
 * apqueue - the message side of one AP queue (see apqueue.h).
 *
 * Requests and replies are singly linked FIFO lists of malloc'd messages.
 * A request is replaced by a freshly allocated reply when it completes, so
 * the two lists never share a message; apq_reset() frees both lists. The
 * queue holds no locks and starts no threads: its owner serialises calls.
 */
#include "apqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct apq_msg *msg_new(uint64_t psmid, const void *data, size_t len)
{
	struct apq_msg *m;

	if (len > SIZE_MAX - sizeof(*m))
		return NULL;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return NULL;
	m->next = NULL;
	m->psmid = psmid;
	m->len = len;
	m->done = 0;
	if (len)
		memcpy(m->data, data, len);
	return m;
}

static void list_append(struct apq_msg **head, struct apq_msg **tail, struct apq_msg *m)
{
	m->next = NULL;
	if (*tail)
		(*tail)->next = m;
	else
		*head = m;
	*tail = m;
}

static struct apq_msg *list_pop(struct apq_msg **head, struct apq_msg **tail)
{
	struct apq_msg *m = *head;

	*head = m->next;
	if (!*head)
		*tail = NULL;
	m->next = NULL;
	return m;
}

/* Free a whole list; returns how many messages it held. */
static unsigned int list_free(struct apq_msg **head, struct apq_msg **tail)
{
	unsigned int n = 0;

	while (*head) {
		free(list_pop(head, tail));
		n++;
	}
	return n;
}

void apq_init(struct apq *q, unsigned int capacity)
{
	memset(q, 0, sizeof(*q));
	q->capacity = capacity;
}

unsigned int apq_reset(struct apq *q)
{
	unsigned int n;

	n = list_free(&q->req_head, &q->req_tail);
	n += list_free(&q->rep_head, &q->rep_tail);
	q->nreq = 0;
	q->nrep = 0;
	q->irq = false;
	q->isc = 0;
	q->nib = 0;
	q->gen++;
	return n;
}

bool apq_full(const struct apq *q)
{
	return q->nreq + q->nrep >= q->capacity;
}

int apq_enqueue(struct apq *q, uint64_t psmid, const void *msg, size_t len)
{
	struct apq_msg *m;

	if (apq_full(q))
		return -ENOSPC;
	m = msg_new(psmid, msg, len);
	if (!m)
		return -ENOMEM;
	list_append(&q->req_head, &q->req_tail, m);
	q->nreq++;
	return 0;
}

struct apq_msg *apq_next_request(struct apq *q)
{
	return q->req_head;
}

int apq_complete(struct apq *q, const void *reply, size_t len)
{
	struct apq_msg *rep;

	if (!q->req_head)
		return -ENOENT;
	/* allocate first: on -ENOMEM the request stays where it was */
	rep = msg_new(q->req_head->psmid, reply, len);
	if (!rep)
		return -ENOMEM;
	free(list_pop(&q->req_head, &q->req_tail));
	q->nreq--;
	list_append(&q->rep_head, &q->rep_tail, rep);
	q->nrep++;
	q->completed++;
	return 0;
}

long apq_dequeue(struct apq *q, void *buf, size_t buflen, uint64_t *ret_psmid, size_t *ret_residual)
{
	struct apq_msg *m = q->rep_head;
	size_t n;

	if (!m)
		return -ENOENT;
	n = m->len - m->done;
	if (n > buflen)
		n = buflen;
	if (n)
		memcpy(buf, m->data + m->done, n);
	m->done += n;
	*ret_psmid = m->psmid;
	*ret_residual = m->len - m->done;
	if (m->done == m->len) {
		free(list_pop(&q->rep_head, &q->rep_tail));
		q->nrep--;
	}
	return (long)n;
}
