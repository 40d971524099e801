WITH `t19` AS (
  SELECT
    `t18`.`__p`,
    `t18`.`__d_region`,
    SUM(IF(CAST(`t18`.`status` AS BINARY) = 'completed', `t18`.`amount`, NULL)) AS `__n1`
  FROM (
    SELECT
      `t16`.`status`,
      `t16`.`amount`,
      `t16`.`__d_order_date`,
      `t16`.`__k0`,
      `t16`.`__j0`,
      `t16`.`__d_region`,
      `t16`.`__d_segment`,
      `t16`.`__d_order_date` AS `__t`,
      MAKEDATE(YEAR(`t16`.`__d_order_date`), 1) + INTERVAL (QUARTER(`t16`.`__d_order_date`) - 1) QUARTER AS `__p`
    FROM (
      SELECT
        `t12`.`status`,
        `t12`.`amount`,
        `t12`.`__d_order_date`,
        `t12`.`__k0`,
        `t14`.`__j0`,
        `t14`.`__d_region`,
        `t14`.`__d_segment`
      FROM (
        SELECT
          CAST(`t2`.`status` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `status`,
          `t2`.`amount`,
          `t2`.`order_date` AS `__d_order_date`,
          `t2`.`customer_id` AS `__k0`
        FROM `onpace_it_orders` AS `t2`
      ) AS `t12`
      LEFT OUTER JOIN (
        SELECT
          `t3`.`id` AS `__j0`,
          CAST(`t3`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`,
          CAST(`t3`.`segment` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_segment`
        FROM `onpace_it_customers` AS `t3`
      ) AS `t14`
        ON `t12`.`__k0` = `t14`.`__j0`
    ) AS `t16`
    WHERE
      CAST(`t16`.`__d_segment` AS BINARY) = 'smb'
      AND `t16`.`__d_order_date` <= DATE('2024-12-31')
      AND `t16`.`__d_order_date` >= DATE('2024-01-01')
  ) AS `t18`
  GROUP BY
    1,
    2
), `t20` AS (
  SELECT
    `t17`.`__p`,
    `t17`.`__d_region`,
    SUM(`t17`.`qty` * `t17`.`price` * (
      1 - `t17`.`discount`
    )) AS `__n0`
  FROM (
    SELECT
      `t15`.`qty`,
      `t15`.`price`,
      `t15`.`discount`,
      `t15`.`__k0`,
      `t15`.`__j0`,
      `t15`.`__d_order_date`,
      `t15`.`__k0_0`,
      `t15`.`__j1`,
      `t15`.`__d_region`,
      `t15`.`__d_segment`,
      `t15`.`__d_order_date` AS `__t`,
      MAKEDATE(YEAR(`t15`.`__d_order_date`), 1) + INTERVAL (QUARTER(`t15`.`__d_order_date`) - 1) QUARTER AS `__p`
    FROM (
      SELECT
        `t7`.`qty`,
        `t7`.`price`,
        `t7`.`discount`,
        `t7`.`__k0`,
        `t8`.`__j0`,
        `t8`.`__d_order_date`,
        `t8`.`__k0_0`,
        `t13`.`__j1`,
        `t13`.`__d_region`,
        `t13`.`__d_segment`
      FROM (
        SELECT
          `t1`.`qty`,
          `t1`.`price`,
          `t1`.`discount`,
          `t1`.`order_id` AS `__k0`
        FROM `onpace_it_order_lines` AS `t1`
      ) AS `t7`
      LEFT OUTER JOIN (
        SELECT
          `t2`.`id` AS `__j0`,
          `t2`.`order_date` AS `__d_order_date`,
          `t2`.`customer_id` AS `__k0_0`
        FROM `onpace_it_orders` AS `t2`
      ) AS `t8`
        ON `t7`.`__k0` = `t8`.`__j0`
      LEFT OUTER JOIN (
        SELECT
          `t3`.`id` AS `__j1`,
          CAST(`t3`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`,
          CAST(`t3`.`segment` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_segment`
        FROM `onpace_it_customers` AS `t3`
      ) AS `t13`
        ON `t8`.`__k0_0` = `t13`.`__j1`
    ) AS `t15`
    WHERE
      CAST(`t15`.`__d_segment` AS BINARY) = 'smb'
      AND `t15`.`__d_order_date` <= DATE('2024-12-31')
      AND `t15`.`__d_order_date` >= DATE('2024-01-01')
  ) AS `t17`
  GROUP BY
    1,
    2
)
SELECT
  `t31`.`__p` AS `period`,
  `t31`.`__d_region` AS `region`,
  CAST(`t31`.`__n0` AS DOUBLE) AS `revenue`,
  CAST(`t31`.`__n1` AS DOUBLE) AS `completed_amount`
FROM (
  SELECT
    `t4`.`__p`,
    `t30`.`__d_region`,
    COALESCE(`t28`.`__n0`, 0) AS `__n0`,
    COALESCE(`t26`.`__n1`, 0) AS `__n1`
  FROM `onpace_periods_ab1c8507c377` AS `t4`
  CROSS JOIN (
    SELECT
      *
    FROM (
      SELECT
        `t22`.`__d_region`
      FROM `t20` AS `t22`
      WHERE
        `t22`.`__p` >= DATE('2024-01-01') AND `t22`.`__p` <= DATE('2024-10-01')
    ) AS `t27`
    UNION
    SELECT
      *
    FROM (
      SELECT
        `t21`.`__d_region`
      FROM `t19` AS `t21`
      WHERE
        `t21`.`__p` >= DATE('2024-01-01') AND `t21`.`__p` <= DATE('2024-10-01')
    ) AS `t25`
  ) AS `t30`
  LEFT OUTER JOIN (
    SELECT
      `t22`.`__p` AS `__g0p`,
      `t22`.`__d_region` AS `__g0_0`,
      `t22`.`__n0`
    FROM `t20` AS `t22`
  ) AS `t28`
    ON `t4`.`__p` = `t28`.`__g0p` AND `t30`.`__d_region` <=> `t28`.`__g0_0`
  LEFT OUTER JOIN (
    SELECT
      `t21`.`__p` AS `__g1p`,
      `t21`.`__d_region` AS `__g1_0`,
      `t21`.`__n1`
    FROM `t19` AS `t21`
  ) AS `t26`
    ON `t4`.`__p` = `t26`.`__g1p` AND `t30`.`__d_region` <=> `t26`.`__g1_0`
) AS `t31`
WHERE
  `t31`.`__p` >= DATE('2024-01-01')
