/**
 * amoCRM's answers, validated at the boundary before they become domain values. Objects are
 * loose (amoCRM adds fields freely); only what calltrail reads is required.
 * @module
 */
import * as z from 'zod';

const id = z.union([z.number().int(), z.string().min(1)]);
const requestId = z.union([z.string(), z.number()]).transform(String);

/** One item's error in a /calls answer. */
export const ItemError = z.looseObject({
  request_id: requestId.optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  status: z.number().optional(),
});

export const CallsAnswer = z.looseObject({
  _total_items: z.number().optional(),
  _embedded: z
    .looseObject({
      calls: z
        .array(
          z.looseObject({
            id,
            entity_id: id,
            entity_type: z.string(),
            request_id: requestId.optional(),
          }),
        )
        .default([]),
      errors: z.array(ItemError).optional(),
    })
    .optional(),
  errors: z.array(ItemError).optional(),
});

/** A 400 from /calls: "Entity not found" for the batch, or validation errors per item. */
export const CallsRefusal = z.looseObject({
  errors: z.array(ItemError).optional(),
  'validation-errors': z
    .array(
      z.looseObject({
        request_id: requestId.optional(),
        errors: z.array(z.looseObject({ code: z.string().optional(), path: z.string().optional(), detail: z.string().optional() })).default([]),
      }),
    )
    .optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
});

export const NoteParams = z.looseObject({
  uniq: z.string().optional().nullable(),
  duration: z.union([z.number(), z.string()]).optional().nullable(),
  link: z.string().optional().nullable(),
  phone: z.string().optional().nullable(),
  source: z.string().optional().nullable(),
});

export const NotesPage = z.looseObject({
  _page: z.number().optional(),
  _links: z.looseObject({ next: z.looseObject({ href: z.string() }).optional() }).optional(),
  _embedded: z.looseObject({
    notes: z.array(
      z.looseObject({
        id,
        entity_id: id,
        note_type: z.string(),
        updated_at: z.number(),
        params: NoteParams.nullable().optional(),
      }),
    ),
  }),
});

const PhoneField = z.looseObject({
  field_code: z.string().nullable().optional(),
  values: z.array(z.looseObject({ value: z.union([z.string(), z.number()]).transform(String) })).default([]),
});

export const ContactsPage = z.looseObject({
  _embedded: z.looseObject({
    contacts: z.array(
      z.looseObject({
        id,
        name: z.string().nullable().optional(),
        custom_fields_values: z.array(PhoneField).nullable().optional(),
      }),
    ),
  }),
});

export const CreatedContacts = z.looseObject({
  _embedded: z.looseObject({ contacts: z.array(z.looseObject({ id, request_id: requestId.optional() })) }),
});

export const UnsortedAnswer = z.looseObject({
  _embedded: z.looseObject({
    unsorted: z.array(
      z.looseObject({
        uid: z.string(),
        request_id: requestId.optional(),
        _embedded: z
          .looseObject({
            leads: z.array(z.looseObject({ id })).optional(),
            contacts: z.array(z.looseObject({ id })).optional(),
          })
          .optional(),
      }),
    ),
  }),
});

export const CreatedTasks = z.looseObject({
  _embedded: z.looseObject({ tasks: z.array(z.looseObject({ id, request_id: requestId.optional() })) }),
});

export const TasksPage = z.looseObject({
  _embedded: z.looseObject({
    tasks: z.array(z.looseObject({ id, text: z.string().default(''), complete_till: z.number() })),
  }),
});

const EmbeddedRef = z.looseObject({ id, name: z.string().nullable().optional(), status_id: z.number().nullable().optional() });

/** A contact or company as the caller lookup reads it: phones, responsible user, embedded company and leads. */
const CallerParty = z.looseObject({
  id,
  name: z.string().nullable().optional(),
  responsible_user_id: z.number().nullable().optional(),
  custom_fields_values: z.array(PhoneField).nullable().optional(),
  _embedded: z
    .looseObject({
      leads: z.array(EmbeddedRef).nullable().optional(),
      companies: z.array(EmbeddedRef).nullable().optional(),
    })
    .nullable()
    .optional(),
});
export type CallerParty = z.output<typeof CallerParty>;

export const CallerContactsPage = z.looseObject({ _embedded: z.looseObject({ contacts: z.array(CallerParty) }) });
export const CallerCompaniesPage = z.looseObject({ _embedded: z.looseObject({ companies: z.array(CallerParty) }) });
export const OneCompany = CallerParty;

export const LeadsPage = z.looseObject({
  _embedded: z.looseObject({
    leads: z.array(
      z.looseObject({
        id,
        name: z.string().nullable().optional(),
        status_id: z.number(),
        pipeline_id: z.number().nullable().optional(),
        created_at: z.number().nullable().optional(),
        closed_at: z.number().nullable().optional(),
        is_deleted: z.boolean().optional(),
      }),
    ),
  }),
});
