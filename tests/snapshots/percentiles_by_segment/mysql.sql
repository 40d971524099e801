WITH `t8` AS (
  SELECT
    `t5`.`amount`,
    `t5`.`__d_order_date`,
    `t5`.`__k0`,
    `t7`.`__j0`,
    `t7`.`__d_segment`
  FROM (
    SELECT
      `t1`.`amount`,
      `t1`.`order_date` AS `__d_order_date`,
      `t1`.`customer_id` AS `__k0`
    FROM `onpace_it_orders` AS `t1`
  ) AS `t5`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`id` AS `__j0`,
      CAST(`t2`.`segment` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_segment`
    FROM `onpace_it_customers` AS `t2`
  ) AS `t7`
    ON `t5`.`__k0` = `t7`.`__j0`
), `t10` AS (
  SELECT
    `t9`.`__d_segment`
  FROM `t8` AS `t9`
  WHERE
    `t9`.`__d_order_date` <= DATE('2024-12-31')
    AND `t9`.`__d_order_date` >= DATE('2024-01-01')
    AND DATE('2024-01-01') >= DATE('2024-01-01')
    AND DATE('2024-01-01') <= DATE('2024-01-01')
), `t16` AS (
  SELECT
    `t11`.`__p`,
    `t11`.`__v`,
    `t11`.`__d_segment`,
    ROW_NUMBER() OVER (
      PARTITION BY `t11`.`__p`, `t11`.`__d_segment`
      ORDER BY CASE WHEN `t11`.`__v` IS NULL THEN 1 ELSE 0 END, `t11`.`__v` ASC
    ) - 1 AS `__r`,
    COUNT(`t11`.`__v`) OVER (
      PARTITION BY `t11`.`__p`, `t11`.`__d_segment`
      ORDER BY CASE WHEN NULL IS NULL THEN 1 ELSE 0 END, NULL ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS `__n`
  FROM (
    SELECT
      DATE('2024-01-01') AS `__p`,
      CAST(`t9`.`amount` AS DOUBLE) AS `__v`,
      `t9`.`__d_segment`
    FROM `t8` AS `t9`
    WHERE
      `t9`.`__d_order_date` <= DATE('2024-12-31')
      AND `t9`.`__d_order_date` >= DATE('2024-01-01')
      AND CAST(`t9`.`amount` AS DOUBLE) IS NOT NULL
  ) AS `t11`
)
SELECT
  `t26`.`__d_segment` AS `segment`,
  `t26`.`__n0` AS `median_order_amount`,
  `t26`.`__n1` AS `p90_order_amount`
FROM (
  SELECT
    `t25`.`__p`,
    `t25`.`__d_segment`,
    MAX(`t25`.`__in`) AS `__in`,
    MAX(`t25`.`__n0`) AS `__n0`,
    MAX(`t25`.`__n1`) AS `__n1`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST(`t20`.`__p` AS DATETIME) AS DATE) AS `__p`,
        `t20`.`__d_segment`,
        NULL AS `__in`,
        NULL AS `__n0`,
        `t20`.`__xlo` + (
          (
            `t20`.`__q` - `t20`.`__l`
          ) * (
            `t20`.`__xhi` - `t20`.`__xlo`
          )
        ) AS `__n1`
      FROM (
        SELECT
          `t18`.`__p`,
          `t18`.`__d_segment`,
          MAX(IF(`t18`.`__r` = `t18`.`__lo`, `t18`.`__v`, NULL)) AS `__xlo`,
          MAX(IF(`t18`.`__r` = `t18`.`__hi`, `t18`.`__v`, NULL)) AS `__xhi`,
          MAX(`t18`.`__pos`) AS `__q`,
          MAX(`t18`.`__lo`) AS `__l`
        FROM (
          SELECT
            `t17`.`__p`,
            `t17`.`__v`,
            `t17`.`__d_segment`,
            `t17`.`__r`,
            `t17`.`__n`,
            CAST(`t17`.`__n` - 1 AS DOUBLE) * 0.9 AS `__pos`,
            CAST(FLOOR(CAST(`t17`.`__n` - 1 AS DOUBLE) * 0.9) AS SIGNED) AS `__lo`,
            CAST(CEIL(CAST(`t17`.`__n` - 1 AS DOUBLE) * 0.9) AS SIGNED) AS `__hi`
          FROM `t16` AS `t17`
        ) AS `t18`
        GROUP BY
          1,
          2
      ) AS `t20`
    ) AS `t22`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t3`.`__p`,
          `t14`.`__d_segment`,
          1 AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`
        FROM `onpace_periods_be3cd274cffe` AS `t3`
        CROSS JOIN (
          SELECT
            *
          FROM `t10` AS `t12`
          UNION
          SELECT
            *
          FROM `t10` AS `t12`
        ) AS `t14`
      ) AS `t15`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t21`.`__p` AS DATETIME) AS DATE) AS `__p`,
          `t21`.`__d_segment`,
          NULL AS `__in`,
          `t21`.`__xlo` + (
            (
              `t21`.`__q` - `t21`.`__l`
            ) * (
              `t21`.`__xhi` - `t21`.`__xlo`
            )
          ) AS `__n0`,
          NULL AS `__n1`
        FROM (
          SELECT
            `t19`.`__p`,
            `t19`.`__d_segment`,
            MAX(IF(`t19`.`__r` = `t19`.`__lo`, `t19`.`__v`, NULL)) AS `__xlo`,
            MAX(IF(`t19`.`__r` = `t19`.`__hi`, `t19`.`__v`, NULL)) AS `__xhi`,
            MAX(`t19`.`__pos`) AS `__q`,
            MAX(`t19`.`__lo`) AS `__l`
          FROM (
            SELECT
              `t17`.`__p`,
              `t17`.`__v`,
              `t17`.`__d_segment`,
              `t17`.`__r`,
              `t17`.`__n`,
              CAST(`t17`.`__n` - 1 AS DOUBLE) * 0.5 AS `__pos`,
              CAST(FLOOR(CAST(`t17`.`__n` - 1 AS DOUBLE) * 0.5) AS SIGNED) AS `__lo`,
              CAST(CEIL(CAST(`t17`.`__n` - 1 AS DOUBLE) * 0.5) AS SIGNED) AS `__hi`
            FROM `t16` AS `t17`
          ) AS `t19`
          GROUP BY
            1,
            2
        ) AS `t21`
      ) AS `t23`
    ) AS `t24`
  ) AS `t25`
  GROUP BY
    1,
    2
) AS `t26`
WHERE
  `t26`.`__in` IS NOT NULL
